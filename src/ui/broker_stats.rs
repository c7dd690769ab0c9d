//! The broker dashboard: what the broker says about itself under `$SYS`.
//! Mosquitto's figures (version, uptime, clients, message and byte rates in
//! and out with small live charts, subscriptions, retained messages), and for
//! any broker every `$SYS` topic with its latest value.

use egui::RichText;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::{Action, style};
use crate::model::Model;
use crate::model::sys::{BrokerStats, Rate, has_sys, sys_topics};
use crate::payload::human_size;
use crate::ui::ConnectionAction;
use crate::vocab::Subscription;

/// `$SYS` topics listed at most.
const LIST_LIMIT: usize = 500;

/// The dashboard window; `open` is cleared when the user closes it.
/// What the window shows, read from the model again only when a `$SYS`
/// message arrived (not at every frame: the list holds up to
/// `LIST_LIMIT` topics and the rates parse each topic's history).
#[derive(Debug, Default)]
pub struct BrokerWindowCache {
    /// `$SYS` messages seen when this was read.
    read_at: Option<u64>,
    stats: Option<BrokerStats>,
    rows: Vec<(String, String)>,
    more: bool,
    /// Times the model was read (for the test of the above).
    reads: u64,
}

impl BrokerWindowCache {
    fn refresh(&mut self, model: &Model) {
        let seen = model.tree.get("$SYS").map(|id| model.tree.node(id).subtree_messages);
        if seen.is_some() && self.read_at == seen {
            return;
        }
        self.read_at = seen;
        self.reads += 1;
        self.stats = BrokerStats::read(model);
        (self.rows, self.more) = sys_topics(model, LIST_LIMIT);
    }
}

pub fn broker_window(
    ctx: &egui::Context,
    open: &mut bool,
    model: &Model,
    subscribed_to_sys: bool,
    cache: &mut BrokerWindowCache,
) -> Option<Action> {
    let mut action = None;
    egui::Window::new("Broker ($SYS)")
        .open(open)
        .default_width(420.0)
        .resizable(true)
        .show(ctx, |ui| {
            if !has_sys(model) {
                ui.label("No $SYS topic has arrived on this connection.");
                if subscribed_to_sys {
                    ui.weak("Subscribed to $SYS/#: the broker may publish them only every few seconds, or not at all.");
                } else if ui
                    .button("Subscribe to $SYS/#")
                    .on_hover_text("Brokers publish their statistics there (Mosquitto every sys_interval seconds)")
                    .clicked()
                {
                    action = Some(Action::Connection(ConnectionAction::Subscribe(Subscription::new(
                        "$SYS/#",
                    ))));
                }
                return;
            }
            cache.refresh(model);
            let BrokerWindowCache { stats, rows, more, .. } = &*cache;
            let more = *more;
            if let Some(stats) = stats {
                figures_ui(ui, stats);
                ui.add_space(style::PANEL_GAP);
                rate_plot(
                    ui,
                    "sys_messages",
                    "messages/s",
                    &stats.messages_in,
                    &stats.messages_out,
                );
                rate_plot(ui, "sys_bytes", "bytes/s", &stats.bytes_in, &stats.bytes_out);
            }
            egui::CollapsingHeader::new(format!(
                "All $SYS topics ({}{})",
                rows.len(),
                if more { "+" } else { "" }
            ))
            .id_salt("sys_topics")
            .default_open(stats.is_none())
            .show(ui, |ui| {
                egui::ScrollArea::vertical().max_height(260.0).show(ui, |ui| {
                    egui::Grid::new("sys_topics_grid").striped(true).show(ui, |ui| {
                        for (topic, value) in rows {
                            ui.label(RichText::new(topic).small());
                            ui.monospace(value);
                            ui.end_row();
                        }
                    });
                    if more {
                        ui.weak(format!("Only the first {LIST_LIMIT} are listed."));
                    }
                });
            });
        });
    action
}

fn figures_ui(ui: &mut egui::Ui, stats: &BrokerStats) {
    let unknown = || "–".to_owned();
    let count = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_else(unknown);
    let per_second = |r: &Rate| r.now.map(|v| format!("{v:.1}/s")).unwrap_or_else(unknown);
    let bytes = |r: &Rate| {
        r.now
            .map(|v| format!("{}/s", human_size(v as usize)))
            .unwrap_or_else(unknown)
    };
    egui::Grid::new("sys_figures")
        .num_columns(2)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            let rows = [
                ("Broker", stats.version.clone().unwrap_or_else(unknown)),
                ("Uptime", stats.uptime_s.map(uptime).unwrap_or_else(unknown)),
                ("Clients connected", count(stats.clients_connected)),
                (
                    "Messages in / out",
                    format!(
                        "{} / {}",
                        per_second(&stats.messages_in),
                        per_second(&stats.messages_out)
                    ),
                ),
                (
                    "Bytes in / out",
                    format!("{} / {}", bytes(&stats.bytes_in), bytes(&stats.bytes_out)),
                ),
                ("Subscriptions", count(stats.subscriptions)),
                ("Retained messages", count(stats.retained)),
            ];
            for (name, value) in rows {
                ui.label(name);
                ui.strong(value);
                ui.end_row();
            }
        });
}

fn rate_plot(ui: &mut egui::Ui, id: &str, unit: &str, incoming: &Rate, outgoing: &Rate) {
    if incoming.history.len() < 2 && outgoing.history.len() < 2 {
        return;
    }
    Plot::new(id)
        .height(90.0)
        .legend(Legend::default().text_style(egui::TextStyle::Small))
        .show_axes([false, true])
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .y_axis_min_width(style::CHART_Y_AXIS_WIDTH)
        .include_y(0.0)
        .show(ui, |plot| {
            for (name, rate, color) in [("in", incoming, 1), ("out", outgoing, 0)] {
                let points: PlotPoints = rate.history.clone().into();
                plot.line(
                    Line::new(format!("{unit} {name}"), points)
                        .color(style::series_color(color))
                        .width(1.5),
                );
            }
        });
}

/// "3 d 04 h", "1 h 02 min", "42 s".
fn uptime(seconds: u64) -> String {
    let (d, h, m, s) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60, seconds % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, _) => format!("{m} min {s:02} s"),
        (0, _, _) => format!("{h} h {m:02} min"),
        _ => format!("{d} d {h:02} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_reads_the_model_again_only_when_sys_news_arrives() {
        use crate::vocab::ReceivedMessage;
        let mut model = Model::default();
        let now = std::time::Instant::now();
        let sys = |t: &str, v: &str| ReceivedMessage::new(t, v.as_bytes(), 0, true);
        model.apply(vec![sys("$SYS/broker/version", "mosquitto version 2.0.11")], now);
        let mut cache = BrokerWindowCache::default();
        cache.refresh(&model);
        cache.refresh(&model);
        assert_eq!(cache.reads, 1);
        // A flood on other topics: nothing to read again.
        model.apply((0..1_000).map(|i| sys(&format!("plant/{i}"), "1")).collect(), now);
        cache.refresh(&model);
        assert_eq!(cache.reads, 1);
        model.apply(vec![sys("$SYS/broker/uptime", "12 seconds")], now);
        cache.refresh(&model);
        assert_eq!(cache.reads, 2);
        assert_eq!(cache.rows.len(), 2);
    }

    #[test]
    fn uptime_reads_like_a_person_wrote_it() {
        assert_eq!(super::uptime(42), "42 s");
        assert_eq!(super::uptime(125), "2 min 05 s");
        assert_eq!(super::uptime(3_725), "1 h 02 min");
        assert_eq!(super::uptime(3 * 86_400 + 4 * 3_600 + 5), "3 d 04 h");
    }
}
