//! How often the window draws when nobody asks it to: a frame a second only
//! while something on screen changes with time, and the beat its own
//! repaints keep (`ui::style::BEAT`): full while the user is at the window or
//! messages pour in, calm for a trickle nobody is looking at closely. An idle
//! window asks for no frame at all.

use super::*;

/// Messages per second above which the window keeps its full beat (a longer
/// beat under load makes each frame apply more: the frame p99 at 20,000
/// msg/s went from 13.8 to 19.1 ms).
const CALM_RATE_LIMIT: f64 = 500.0;
/// Input this recent keeps the full beat.
const INTERACTING_FOR: Duration = Duration::from_secs(2);

impl MqscopeApp {
    /// Called once a frame, from `logic`.
    pub(super) fn pace(&mut self, ctx: &egui::Context) {
        let now = Instant::now();
        if ctx.input(|i| !i.events.is_empty() || i.pointer.is_moving() || i.pointer.any_down()) {
            self.last_input = now;
        }
        // A rate not yet back to 0, a reconnect countdown, or the stats file
        // change with time; each session's rate is read once.
        let mut ticking = self.stats.is_some();
        let mut pouring = false;
        for session in &self.sessions {
            let rate = session.model.rate(now);
            ticking |= rate > 0.0 || matches!(session.state, ConnectionState::Reconnecting { .. });
            pouring |= rate > CALM_RATE_LIMIT;
        }
        crate::ui::style::set_interacting(pouring || now.duration_since(self.last_input) < INTERACTING_FOR);
        if ticking {
            ctx.request_repaint_after(crate::ui::style::next_beat(Duration::from_secs(1)));
        }
    }
}
