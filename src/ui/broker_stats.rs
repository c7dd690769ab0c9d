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
    // Placed like a dialog (centred, below the top bar), off the tree and subscriptions.
    super::dialog::window(ctx, "Broker ($SYS)", 460.0)
        .open(open)
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
            if !subscribed_to_sys {
                // What is shown stops where the subscription ended.
                ui.horizontal_wrapped(|ui| {
                    ui.label(
                        RichText::new("Not subscribed to $SYS/# any more: these figures are the last that came.")
                            .color(style::connecting()),
                    );
                    if ui.small_button("Subscribe again").clicked() {
                        action = Some(Action::Connection(ConnectionAction::Subscribe(Subscription::new(
                            "$SYS/#",
                        ))));
                    }
                });
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
                    Unit::Messages,
                    &stats.messages_in,
                    &stats.messages_out,
                );
                rate_plot(ui, "sys_bytes", Unit::Bytes, &stats.bytes_in, &stats.bytes_out);
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

#[derive(Clone, Copy)]
enum Unit {
    Messages,
    Bytes,
}

impl Unit {
    /// A rate as the axis and tooltips say it: "1.2k msg/s", "3.4 KiB/s".
    fn rate(self, per_second: f64) -> String {
        match self {
            Unit::Messages if per_second >= 10_000.0 => format!("{:.0}k msg/s", per_second / 1_000.0),
            Unit::Messages if per_second >= 1_000.0 => format!("{:.1}k msg/s", per_second / 1_000.0),
            Unit::Messages => format!("{} msg/s", trim(per_second)),
            Unit::Bytes => format!("{}/s", human_size(per_second.max(0.0) as usize)),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Unit::Messages => "messages",
            Unit::Bytes => "bytes",
        }
    }
}

/// A number without trailing zeros: 2, 2.5, 0.25.
fn trim(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// In and out of the broker over time: clock times along the bottom, the
/// rate in its unit up the side; the two plots share their time axis and
/// their left edge, so they line up.
fn rate_plot(ui: &mut egui::Ui, id: &str, unit: Unit, incoming: &Rate, outgoing: &Rate) {
    if incoming.history.len() < 2 && outgoing.history.len() < 2 {
        return;
    }
    Plot::new(id)
        .height(110.0)
        .legend(Legend::default().text_style(egui::TextStyle::Small))
        .link_axis(egui::Id::unique("sys_time"), [true, false])
        .x_axis_formatter(|mark, _| crate::ui::chart::clock_label(mark.value))
        .y_axis_formatter(move |mark, _| unit.rate(mark.value))
        .label_formatter(move |hover| match hover {
            egui_plot::HoverPosition::NearDataPoint {
                plot_name, position, ..
            } => Some(format!(
                "{plot_name}\n{}\n{}",
                crate::ui::chart::clock_label(position.x),
                unit.rate(position.y)
            )),
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        })
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .y_axis_min_width(style::CHART_Y_AXIS_WIDTH + 40.0)
        .include_y(0.0)
        .show(ui, |plot| {
            for (name, rate, color) in [("in", incoming, 1), ("out", outgoing, 0)] {
                let points: PlotPoints = rate.history.clone().into();
                plot.line(
                    Line::new(format!("{} {name}", unit.name()), points)
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
        model.apply((0..1_000).map(|i| sys(&format!("plant/{i}"), "1")), now);
        cache.refresh(&model);
        assert_eq!(cache.reads, 1);
        model.apply(vec![sys("$SYS/broker/uptime", "12 seconds")], now);
        cache.refresh(&model);
        assert_eq!(cache.reads, 2);
        assert_eq!(cache.rows.len(), 2);
    }

    #[test]
    fn rates_read_with_their_units() {
        assert_eq!(Unit::Messages.rate(2.5), "2.5 msg/s");
        assert_eq!(Unit::Messages.rate(3.0), "3 msg/s");
        assert_eq!(Unit::Messages.rate(1_250.0), "1.2k msg/s");
        assert_eq!(Unit::Messages.rate(25_000.0), "25k msg/s");
        assert_eq!(Unit::Bytes.rate(2_048.0), "2.0 KiB/s");
    }

    #[test]
    fn uptime_reads_like_a_person_wrote_it() {
        assert_eq!(super::uptime(42), "42 s");
        assert_eq!(super::uptime(125), "2 min 05 s");
        assert_eq!(super::uptime(3_725), "1 h 02 min");
        assert_eq!(super::uptime(3 * 86_400 + 4 * 3_600 + 5), "3 d 04 h");
    }
}
