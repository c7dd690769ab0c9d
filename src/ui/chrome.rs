//! The window's chrome: the top bar (the Connection menu with the saved
//! profiles, Settings, Broker $SYS, Record, the badge of the connection on
//! screen) and the row of connection tabs. It is drawn from a plain view of
//! the connections ([`OnScreen`], [`Tab`]) and says what was asked as Actions.

use std::time::Instant;

use egui::RichText;

use super::layout::PanelsShown;
use super::status::{state_color, state_dot_ui, state_text};
use super::transfer::TransferMode;
use super::{Action, style};
use crate::profiles::{Profile, ProfileStore};
use crate::ui::{ConnectionAction, WindowAction};
use crate::vocab::{ConnectionState, ProtocolVersion};

/// A recording in progress, as the Stop button tells it.
pub struct Recording {
    pub bytes: u64,
    pub messages: u64,
    /// Batches the disk could not keep up with.
    pub not_recorded: u64,
    pub path: String,
}

/// The connection on screen, as the top bar shows it.
pub struct OnScreen<'a> {
    pub name: &'a str,
    pub url: String,
    pub state: &'a ConnectionState,
    pub protocol: ProtocolVersion,
    /// TLS with verification turned off.
    pub insecure: bool,
    pub sys_open: bool,
    pub recording: Option<Recording>,
    /// A recording opened as a tab: no broker to ask, publish to or reconnect.
    pub offline: bool,
}

/// One tab of the connection row.
pub struct Tab<'a> {
    pub name: &'a str,
    pub url: String,
    pub state: &'a ConnectionState,
    pub offline: bool,
    /// Notices waiting on this tab (shown as toasts when it is open).
    pub notices: usize,
}

/// The top bar. `open`: the names of the connections open in tabs (live,
/// not recordings); `tabs`: whether any tab is open; `active`: the tab on screen.
#[allow(clippy::too_many_arguments)]
pub fn top_bar_ui(
    ui: &mut egui::Ui,
    on_screen: Option<&OnScreen>,
    profiles: &ProfileStore,
    open: &[&str],
    tabs: bool,
    active: usize,
    actions: &mut Vec<Action>,
) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("mqscope").strong().size(16.0));
        ui.separator();
        connection_menu_ui(ui, on_screen, profiles, open, tabs, active, actions);
        if ui.button("Settings").clicked() {
            actions.push(Action::Window(WindowAction::OpenSettings));
        }
        let Some(on_screen) = on_screen else {
            return;
        };
        if !on_screen.offline
            && ui
                .selectable_label(on_screen.sys_open, "Broker $SYS")
                .on_hover_text("What the broker says about itself: version, uptime, clients, rates")
                .clicked()
        {
            actions.push(Action::Connection(ConnectionAction::ToggleBrokerStats));
        }
        match &on_screen.recording {
            None => {
                if ui
                    .button("⏺ Record")
                    .on_hover_text("Record this connection's messages to a file")
                    .clicked()
                {
                    actions.push(Action::Window(WindowAction::OpenTransfer(TransferMode::Record)));
                }
            }
            Some(r) => {
                let mut text = format!(
                    "⏹ Stop recording ({} · {}",
                    crate::payload::human_size(r.bytes as usize),
                    super::counted(r.messages, "msg", "msgs")
                );
                if r.not_recorded > 0 {
                    // The disk fell behind: said, never silent.
                    text.push_str(&format!(" · {} not recorded: the disk is too slow", r.not_recorded));
                }
                text.push(')');
                if ui
                    .button(RichText::new(text).color(style::error()))
                    .on_hover_text(&r.path)
                    .clicked()
                {
                    actions.push(Action::Connection(ConnectionAction::StopRecording));
                }
            }
        }
        connection_badge_ui(ui, on_screen, actions);
    });
}

#[allow(clippy::too_many_arguments)]
fn connection_menu_ui(
    ui: &mut egui::Ui,
    on_screen: Option<&OnScreen>,
    profiles: &ProfileStore,
    open: &[&str],
    tabs: bool,
    active: usize,
    actions: &mut Vec<Action>,
) {
    ui.menu_button("Connection", |ui| {
        if ui.button("New connection…").clicked() {
            actions.push(Action::Window(WindowAction::NewProfile));
        }
        if ui.button("Start demo").clicked() {
            actions.push(Action::Window(WindowAction::StartDemo));
        }
        if ui
            .button("Import connections…")
            .on_hover_text("From MQTT Explorer, MQTTX or another mqscope")
            .clicked()
        {
            actions.push(Action::Window(WindowAction::OpenTransfer(TransferMode::Import)));
        }
        if ui
            .button("Open recording…")
            .on_hover_text("A --record file or mosquitto_sub -v output, as an offline connection")
            .clicked()
        {
            actions.push(Action::Window(WindowAction::OpenTransfer(TransferMode::Recording)));
        }
        if !profiles.profiles().is_empty() && ui.button("Export connections…").clicked() {
            actions.push(Action::Window(WindowAction::OpenTransfer(TransferMode::Export)));
        }
        if on_screen.is_some_and(|s| !s.offline && *s.state != ConnectionState::Closed)
            && ui.button("Disconnect").clicked()
        {
            actions.push(Action::Connection(ConnectionAction::Disconnect));
        }
        if tabs && ui.button("Close tab").clicked() {
            actions.push(Action::Window(WindowAction::CloseConnection(active)));
        }
        if profiles.profiles().is_empty() {
            return;
        }
        ui.separator();
        for (folder, in_folder) in profiles.by_folder() {
            if folder.is_empty() {
                for profile in in_folder {
                    profile_row(ui, profile, open.contains(&profile.name.as_str()), actions);
                }
            } else {
                ui.menu_button(format!("📁 {folder}"), |ui| {
                    for profile in in_folder {
                        profile_row(ui, profile, open.contains(&profile.name.as_str()), actions);
                    }
                });
            }
        }
    });
}

/// A saved profile in the Connection menu: connect (or show its tab, when
/// `open`), edit, duplicate, move.
fn profile_row(ui: &mut egui::Ui, profile: &Profile, open: bool, actions: &mut Vec<Action>) {
    ui.horizontal(|ui| {
        if open {
            state_dot_ui(ui, style::connected());
        }
        let connect = ui.button(format!("Connect to {}", profile.name));
        let connect = if open {
            connect.on_hover_text("Open in a tab: shows that tab")
        } else {
            connect
        };
        if connect.clicked() {
            actions.push(Action::Window(WindowAction::ConnectProfile {
                name: profile.name.clone(),
                password: None,
                passphrase: None,
            }));
        }
        let edit = ui.small_button("Edit");
        let name = format!("Edit {}", profile.name);
        edit.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
        if edit.clicked() {
            actions.push(Action::Window(WindowAction::EditProfile(profile.name.clone())));
        }
        if ui
            .small_button("Duplicate")
            .on_hover_text("A copy of this profile, opened for editing")
            .clicked()
        {
            actions.push(Action::Window(WindowAction::DuplicateProfile(profile.name.clone())));
        }
        for (arrow, by, tip) in [("⏶", -1, "Move up"), ("⏷", 1, "Move down")] {
            let button = ui.small_button(arrow).on_hover_text(tip);
            let name = format!("{tip}: {}", profile.name);
            button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
            if button.clicked() {
                actions.push(Action::Window(WindowAction::MoveProfile {
                    name: profile.name.clone(),
                    by,
                }));
            }
        }
    });
}

/// One tab per open connection: its state's dot, its name, a close button.
/// The tabs of the open connections, and on the right the switches of the
/// foldable panels (a recording on screen has no publish form).
pub fn tabs_ui(ui: &mut egui::Ui, tabs: &[Tab], active: usize, shown: &mut PanelsShown, actions: &mut Vec<Action>) {
    let offline = tabs.get(active).is_some_and(|t| t.offline);
    ui.horizontal_wrapped(|ui| {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if !offline {
                ui.toggle_value(&mut shown.publish, "Publish form")
                    .on_hover_text("Show or fold the publish form (or drag its edge)");
            }
            ui.toggle_value(&mut shown.charts, "Charts")
                .on_hover_text("Show or fold the charts (or drag their edge)");
            ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                tab_list_ui(ui, tabs, active, actions)
            });
        });
    });
}

fn tab_list_ui(ui: &mut egui::Ui, tabs: &[Tab], active: usize, actions: &mut Vec<Action>) {
    ui.horizontal_wrapped(|ui| {
        for (i, tab) in tabs.iter().enumerate() {
            let on_screen = i == active;
            let frame = egui::Frame::new()
                .fill(if on_screen {
                    style::tab_active_bg()
                } else {
                    egui::Color32::TRANSPARENT
                })
                .corner_radius(4.0)
                .inner_margin(egui::Margin::symmetric(6, 2));
            frame.show(ui, |ui| {
                ui.horizontal(|ui| {
                    state_dot_ui(ui, state_color(tab.state));
                    let label = RichText::new(tab.name);
                    let label = if on_screen { label.strong() } else { label };
                    if ui.selectable_label(on_screen, label).on_hover_text(&tab.url).clicked() {
                        actions.push(Action::Window(WindowAction::SelectConnection(i)));
                    }
                    if tab.notices > 0 && !on_screen {
                        // News on a tab not on screen: its toasts wait for it.
                        let words = crate::ui::counted(tab.notices as u64, "notice", "notices");
                        let mark = ui
                            .label(RichText::new("⚠").color(style::connecting()))
                            .on_hover_text(format!("{words} on this tab"));
                        let name = format!("{words} on {}", tab.name);
                        mark.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, &name));
                    }
                    let name = format!("Disconnect and close {}", tab.name);
                    let close = ui.small_button("✖").on_hover_text(&name);
                    close.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
                    if close.clicked() {
                        actions.push(Action::Window(WindowAction::CloseConnection(i)));
                    }
                });
            });
        }
        if ui
            .button("+")
            .on_hover_text("Open another connection (each has its own tree)")
            .clicked()
        {
            actions.push(Action::Window(WindowAction::NewProfile));
        }
    });
}

/// The state of the connection on screen, its protocol, and a warning while
/// TLS verification is off.
fn connection_badge_ui(ui: &mut egui::Ui, on_screen: &OnScreen, actions: &mut Vec<Action>) {
    let (text, color) = state_text(on_screen.state, &on_screen.url, Instant::now());
    state_dot_ui(ui, color);
    ui.label(RichText::new(on_screen.name).strong());
    ui.label(RichText::new(text).color(color));
    if on_screen.protocol == ProtocolVersion::V5 {
        ui.label(RichText::new("MQTT 5").small().color(style::counts()));
    }
    if on_screen.insecure {
        ui.label(
            RichText::new("⚠ TLS NOT VERIFIED (insecure)")
                .strong()
                .color(style::insecure()),
        )
        .on_hover_text("The broker's certificate is not checked: anyone in between could pose as the broker.");
    }
    if on_screen.offline {
        return;
    }
    if matches!(
        on_screen.state,
        ConnectionState::Failed { .. } | ConnectionState::Reconnecting { .. }
    ) && ui.button("Retry now").clicked()
    {
        actions.push(Action::Connection(ConnectionAction::Retry));
    }
    if *on_screen.state == ConnectionState::Closed
        && ui
            .button("Reconnect")
            .on_hover_text("Connect this tab again, with its subscriptions; the tree and charts stay")
            .clicked()
    {
        actions.push(Action::Window(WindowAction::Reconnect));
    }
}
