//! The subscriptions manager of one connection: the filters it holds, each
//! with its QoS, its colour (which marks its topics in the tree) and what the
//! broker answered; a form to add one (checked by the MQTT rules, the error
//! next to the field), MQTT 5 subscription options, and `$SYS/#` in one click.

use egui::{Color32, RichText};

use super::{Action, style};
use crate::ui::ConnectionAction;
use crate::vocab::topic::{filter_matches, validate_filter};
use crate::vocab::{ProtocolVersion, Subscription};

/// What the broker said about a subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionStatus {
    /// Sent, no SUBACK yet (or not connected).
    Pending,
    Granted(u8),
    Refused(String),
}

#[derive(Debug, Clone)]
pub struct SubscriptionRow {
    pub sub: Subscription,
    pub status: SubscriptionStatus,
    colour: usize,
}

impl SubscriptionRow {
    pub fn colour(&self) -> Color32 {
        style::subscription_color(self.colour)
    }
}

#[derive(Debug, Default)]
pub struct SubscriptionsPanel {
    rows: Vec<SubscriptionRow>,
    next_colour: usize,
    new_filter: String,
    new_qos: u8,
    no_local: bool,
    retain_as_published: bool,
    retain_handling: u8,
    error: Option<String>,
}

impl SubscriptionsPanel {
    pub fn new(subs: &[Subscription]) -> Self {
        let mut panel = Self {
            new_qos: 2,
            ..Self::default()
        };
        for sub in subs {
            panel.add(sub.clone());
        }
        panel
    }

    pub fn rows(&self) -> &[SubscriptionRow] {
        &self.rows
    }

    /// List `sub` (waiting for the broker); a filter listed already is updated.
    pub fn add(&mut self, sub: Subscription) {
        match self.rows.iter_mut().find(|r| r.sub.filter == sub.filter) {
            Some(row) => {
                row.sub = sub;
                row.status = SubscriptionStatus::Pending;
            }
            None => {
                self.rows.push(SubscriptionRow {
                    sub,
                    status: SubscriptionStatus::Pending,
                    colour: self.next_colour,
                });
                self.next_colour += 1;
            }
        }
    }

    /// After a (re)connect every subscription is sent again.
    pub fn mark_all_pending(&mut self) {
        for row in &mut self.rows {
            row.status = SubscriptionStatus::Pending;
        }
    }

    pub fn set_status(&mut self, filter: &str, status: SubscriptionStatus) {
        if let Some(row) = self.rows.iter_mut().find(|r| r.sub.filter == filter) {
            row.status = status;
        }
    }

    /// The colour of the most specific subscription that matches `topic`
    /// (`home/kitchen/#` before `home/#` before `#`): that is the one a user
    /// added to pick those topics out.
    pub fn colour_of(&self, topic: &str) -> Option<Color32> {
        self.marks()
            .into_iter()
            .find(|(filter, _)| filter_matches(filter, topic))
            .map(|(_, colour)| colour)
    }

    /// (filter, colour) of every subscription, most specific first, for the tree's marks.
    pub fn marks(&self) -> Vec<(String, Color32)> {
        let mut marks: Vec<(String, Color32)> = self.rows.iter().map(|r| (r.sub.filter.clone(), r.colour())).collect();
        marks.sort_by_key(|(filter, _)| std::cmp::Reverse(specificity(filter)));
        marks
    }

    /// Check the form's filter and, if it is valid, ask to subscribe.
    fn submit(&mut self, filter: &str) -> Option<Action> {
        let filter = filter.trim();
        if filter.is_empty() {
            self.error = Some("Enter a topic filter, e.g. home/# or sensors/+/temperature.".into());
            return None;
        }
        if let Err(e) = validate_filter(filter) {
            self.error = Some(e);
            return None;
        }
        self.error = None;
        let sub = Subscription {
            filter: filter.to_owned(),
            qos: self.new_qos,
            no_local: self.no_local,
            retain_as_published: self.retain_as_published,
            retain_handling: self.retain_handling,
        };
        self.add(sub.clone());
        Some(Action::Connection(ConnectionAction::Subscribe(sub)))
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, protocol: ProtocolVersion) -> Vec<Action> {
        // Everything asked this frame, in order (a row removed and a filter added together).
        let mut actions = Vec::new();
        let mut remove = None;
        for (i, row) in self.rows.iter().enumerate() {
            ui.horizontal(|ui| {
                let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                ui.painter().rect_filled(rect, 2.0, row.colour());
                ui.label(RichText::new(&row.sub.filter).monospace());
                ui.label(
                    RichText::new(format!("QoS {}", row.sub.qos))
                        .small()
                        .color(style::counts()),
                );
                match &row.status {
                    SubscriptionStatus::Pending => {
                        ui.label(
                            RichText::new("waiting for the broker")
                                .small()
                                .color(style::connecting()),
                        );
                    }
                    SubscriptionStatus::Granted(qos) => {
                        ui.label(
                            RichText::new(format!("granted QoS {qos}"))
                                .small()
                                .color(style::ok_text()),
                        );
                    }
                    SubscriptionStatus::Refused(reason) => {
                        ui.label(
                            RichText::new(format!("refused: {reason}"))
                                .small()
                                .color(style::error()),
                        );
                    }
                }
                let name = format!("Unsubscribe from {}", row.sub.filter);
                let button = ui.small_button("✖").on_hover_text(&name);
                button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                if button.clicked() {
                    remove = Some(i);
                }
            });
        }
        if let Some(i) = remove {
            let row = self.rows.remove(i);
            actions.push(Action::Connection(ConnectionAction::Unsubscribe(row.sub.filter)));
        }
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("New filter");
            let field = ui
                .add(
                    egui::TextEdit::singleline(&mut self.new_filter)
                        .hint_text("e.g. home/+/temperature")
                        .desired_width(180.0),
                )
                .labelled_by(label.id);
            if field.changed() {
                // Checked as typed: the MQTT rule shows before Subscribe is pressed.
                let typed = self.new_filter.trim();
                self.error = if typed.is_empty() {
                    None
                } else {
                    validate_filter(typed).err()
                };
            }
            ui.label("QoS");
            for q in 0..=2 {
                ui.selectable_value(&mut self.new_qos, q, q.to_string())
                    .on_hover_text(format!("Subscribe at QoS {q}"));
            }
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Subscribe").clicked() || enter {
                let filter = self.new_filter.clone();
                if let Some(a) = self.submit(&filter) {
                    self.new_filter.clear();
                    actions.push(a);
                }
            }
            let has_sys = self.rows.iter().any(|r| r.sub.filter == "$SYS/#");
            if !has_sys
                && ui
                    .button("$SYS/#")
                    .on_hover_text("Subscribe to the broker's own statistics")
                    .clicked()
            {
                actions.extend(self.submit("$SYS/#"));
            }
        });
        if protocol == ProtocolVersion::V5 {
            ui.horizontal(|ui| {
                ui.checkbox(&mut self.no_local, "No local")
                    .on_hover_text("Do not send us our own publishes");
                ui.checkbox(&mut self.retain_as_published, "Retain as published")
                    .on_hover_text("Keep the retain flag on live messages");
                egui::ComboBox::from_label("retained messages")
                    .selected_text(retain_handling_label(self.retain_handling))
                    .show_ui(ui, |ui| {
                        for rh in 0..=2 {
                            ui.selectable_value(&mut self.retain_handling, rh, retain_handling_label(rh));
                        }
                    });
            });
        }
        if let Some(error) = &self.error {
            ui.label(RichText::new(error).color(style::error()));
        }
        actions
    }
}

/// Literal levels count most, then `+` levels; `#` adds nothing.
fn specificity(filter: &str) -> usize {
    filter
        .split('/')
        .map(|level| match level {
            "#" => 0,
            "+" => 1,
            _ => 4,
        })
        .sum()
}

fn retain_handling_label(rh: u8) -> &'static str {
    match rh {
        0 => "Send on every subscribe",
        1 => "Send on a new subscription",
        _ => "Never send",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_follow_the_most_specific_matching_filter() {
        let panel = SubscriptionsPanel::new(&[Subscription::new("#"), Subscription::new("home/#")]);
        // The more specific filter wins, whatever the order they were added in.
        assert_eq!(panel.colour_of("home/kitchen"), Some(style::subscription_color(1)));
        assert_eq!(panel.colour_of("plant/1"), Some(style::subscription_color(0)));
        let mut panel = SubscriptionsPanel::new(&[Subscription::new("home/#"), Subscription::new("#")]);
        assert_eq!(panel.colour_of("home/kitchen"), Some(style::subscription_color(0)));
        assert_eq!(panel.colour_of("plant/1"), Some(style::subscription_color(1)));
        assert!(panel.submit("a/#/b").is_none());
        assert!(panel.error.as_deref().unwrap().contains('#'));
        assert_eq!(
            panel.submit("$SYS/#"),
            Some(Action::Connection(ConnectionAction::Subscribe(Subscription::new(
                "$SYS/#"
            ))))
        );
        assert!(panel.error.is_none());
        // `#` does not match `$SYS` topics; the new subscription gets its own colour.
        assert_eq!(
            panel.colour_of("$SYS/broker/uptime"),
            Some(style::subscription_color(2))
        );
        panel.set_status("home/#", SubscriptionStatus::Refused("not authorised".into()));
        assert_eq!(
            panel.rows()[0].status,
            SubscriptionStatus::Refused("not authorised".into())
        );
    }
}
