//! The first screen: start the demo, make a new connection, or connect with a
//! saved profile.

use egui::RichText;

use super::Action;
use crate::profiles::Profile;
use crate::ui::WindowAction;

pub fn welcome_ui(ui: &mut egui::Ui, profiles: &[Profile], last: Option<&str>) -> Option<Action> {
    let mut action = None;
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.15);
        ui.heading(RichText::new("mqscope").size(36.0).strong());
        ui.label("Explore an MQTT broker: every topic live, any payload, charts of your sensors.");
        ui.add_space(24.0);
        ui.horizontal(|ui| {
            // Centre the two buttons as a pair.
            let width = 2.0 * 170.0 + ui.spacing().item_spacing.x;
            ui.add_space(((ui.available_width() - width) / 2.0).max(0.0));
            if ui
                .add_sized([170.0, 36.0], egui::Button::new(RichText::new("Start demo").size(16.0)))
                .on_hover_text("A built-in broker with simulated sensors: nothing to install")
                .clicked()
            {
                action = Some(Action::Window(WindowAction::StartDemo));
            }
            if ui
                .add_sized(
                    [170.0, 36.0],
                    egui::Button::new(RichText::new("New connection").size(16.0)),
                )
                .clicked()
            {
                action = Some(Action::Window(WindowAction::NewProfile));
            }
        });
        if !profiles.is_empty() {
            ui.add_space(24.0);
            ui.strong("Saved connections");
            ui.add_space(6.0);
            // The one used last comes first.
            let mut ordered: Vec<&Profile> = profiles.iter().collect();
            ordered.sort_by_key(|p| Some(p.name.as_str()) != last);
            for profile in ordered {
                ui.horizontal(|ui| {
                    let width = 420.0;
                    ui.add_space(((ui.available_width() - width) / 2.0).max(0.0));
                    if ui
                        .add_sized([260.0, 24.0], egui::Button::new(&profile.name))
                        .on_hover_text(format!("Connect to {}:{}", profile.host, profile.port))
                        .clicked()
                    {
                        action = Some(Action::Window(WindowAction::ConnectProfile {
                            name: profile.name.clone(),
                            password: None,
                            passphrase: None,
                        }));
                    }
                    ui.weak(format!("{}:{}", profile.host, profile.port));
                    if Some(profile.name.as_str()) == last {
                        ui.label(RichText::new("last used").small().color(super::style::ok_text()));
                    }
                    let edit = ui.small_button("Edit");
                    let name = format!("Edit {}", profile.name);
                    edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                    if edit.clicked() {
                        action = Some(Action::Window(WindowAction::EditProfile(profile.name.clone())));
                    }
                });
            }
        }
    });
    action
}
