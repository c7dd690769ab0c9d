//! The window at the sizes people use it at, against a real Mosquitto: at
//! 800×600 and at 1920×1080 the tree, the inspector and the publish form are
//! each on screen, apart, and do what they are for; panels fold and come back;
//! and notices float over the window without moving what is under the mouse.

mod common;

use std::time::Duration;

use egui::Rect;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use mqscope::ui::notices::Lifetimes;

use common::harness::{TestApp, connected_to, has_label, has_text, step_until};

/// The rectangle of the one widget with this role and label.
fn rect_of(h: &Harness<'static, TestApp>, role: egui::accesskit::Role, label: &str) -> Rect {
    let node = h.get_by_role_and_label(role, label);
    let r = node.rect();
    Rect::from_min_max(egui::pos2(r.min.x, r.min.y), egui::pos2(r.max.x, r.max.y))
}

fn inside(window: Rect, what: &str, rect: Rect) {
    assert!(
        window.contains_rect(rect) && rect.width() > 8.0,
        "{what} at {rect:?} is not on screen in {window:?}"
    );
}

/// At `size`: a retained message shows in the tree, a click shows it in the
/// inspector beside the tree (not under the publish form), and the publish
/// form, filled from the selection, sends it again.
fn usable_at(size: egui::Vec2) {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let device = common::publisher(&rt, broker.port, "layout-device");
    rt.block_on(device.publish("lab/温度/probe", common::qos(1), true, r#"{"t": 21.5}"#))
        .unwrap();
    device.settled(&rt);
    let mut harness = connected_to(&broker.url());
    harness.set_size(size);
    harness.run_steps(3);
    step_until(&mut harness, "the topic in the tree", |h| {
        h.state().app.model().unwrap().tree.get("lab/温度/probe").is_some()
    });
    harness.get_by_label("Expand all").click();
    step_until(&mut harness, "the row", |h| has_label(h, "probe"));

    let window = harness.ctx.content_rect();
    use egui::accesskit::Role;
    let row = rect_of(&harness, Role::Button, "probe");
    inside(window, "the tree row", row);
    harness.get_by_label("probe").click();
    step_until(&mut harness, "the inspector's title", |h| {
        has_label(h, "lab/温度/probe")
    });
    let title = harness
        .query_all_by_label("lab/温度/probe")
        .map(|n| {
            let r = n.rect();
            Rect::from_min_max(egui::pos2(r.min.x, r.min.y), egui::pos2(r.max.x, r.max.y))
        })
        .find(|r| r.min.x > row.max.x)
        .expect("the inspector's title right of the tree");
    inside(window, "the inspector's title", title);
    let topic_field = rect_of(&harness, Role::TextInput, "Topic");
    let publish = rect_of(&harness, Role::Button, "Publish");
    inside(window, "the publish form's topic", topic_field);
    inside(window, "the Publish button", publish);
    assert!(
        title.max.x <= topic_field.min.x + 1.0,
        "the inspector ({title:?}) runs under the publish form ({topic_field:?})"
    );
    // The inspector's column, from its title to the publish form, keeps its room.
    let column = topic_field.min.x - title.min.x;
    assert!(
        column >= mqscope::ui::layout::INSPECTOR_MIN_WIDTH - 20.0,
        "the inspector is squeezed to {column} px"
    );
    assert!(has_text(&harness, "21.5"), "the payload is in the inspector");
    // History: the stored message is listed and can be clicked.
    assert!(has_text(&harness, "History (1 kept)"));

    // The form took the selected topic; Publish sends it (QoS 1, acknowledged).
    let before = harness.state().app.received();
    harness.get_by_role_and_label(Role::Button, "Publish").click();
    step_until(&mut harness, "our own message back", |h| {
        h.state().app.received() > before
    });

    // Fold the publish form: gone, the inspector still there; unfold it.
    harness.get_by_label("Publish form").click();
    step_until(&mut harness, "the form folded", |h| {
        h.query_by_role_and_label(Role::TextInput, "Topic").is_none()
    });
    assert!(has_label(&harness, "lab/温度/probe"), "the inspector stays");
    harness.get_by_label("Publish form").click();
    step_until(&mut harness, "the form back", |h| {
        h.query_by_role_and_label(Role::TextInput, "Topic").is_some()
    });
}

#[test]
fn at_800x600_tree_inspector_and_publish_form_are_on_screen_and_work() {
    usable_at(egui::vec2(800.0, 600.0));
}

#[test]
fn at_1920x1080_tree_inspector_and_publish_form_are_on_screen_and_work() {
    usable_at(egui::vec2(1920.0, 1080.0));
}

#[test]
fn notices_float_over_the_window_leave_on_their_own_and_stay_in_the_log() {
    let broker = common::Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = connected_to(&broker.url());
    harness.state_mut().app.set_notice_lifetimes(Lifetimes {
        info: Duration::from_millis(1500),
        warning: Duration::from_millis(1500),
    });
    use egui::accesskit::Role;
    let watched = |h: &Harness<'static, TestApp>| {
        [
            rect_of(h, Role::TextInput, "Search"),
            rect_of(h, Role::TextInput, "Topic"),
            rect_of(h, Role::Button, "Expand all"),
        ]
    };
    let before = watched(&harness);

    // Recording, then stopping, says what was recorded: a notice.
    common::harness::record_and_stop(&mut harness, &dir.path().join("r.ndjson"));
    step_until(&mut harness, "the notice", |h| has_text(h, "Recorded 0 messages to"));
    assert_eq!(watched(&harness), before, "a notice moved the widgets under it");

    // It leaves by itself, and nothing else moved when it went.
    step_until(&mut harness, "the notice to leave", |h| {
        !has_text(h, "Recorded 0 messages to")
    });
    assert_eq!(watched(&harness), before);
    // What it said is in the log, opened from the status bar.
    assert!(
        harness
            .state()
            .app
            .notices_logged()
            .any(|n| n.starts_with("Recorded 0 messages to"))
    );
    harness
        .query_all_by(|n| n.label().is_some_and(|l| l.starts_with("Notices (")))
        .next()
        .expect("the log's button in the status bar")
        .click();
    step_until(&mut harness, "the log window", |h| {
        has_text(h, "Recorded 0 messages to")
    });
    // By its button: in the window's bottom right, above the status bar.
    harness.run_steps(2);
    let screen = harness.ctx.content_rect();
    let line = harness
        .query_all_by(|n| {
            n.value()
                .or(n.label())
                .is_some_and(|l| l.starts_with("Recorded 0 messages to"))
        })
        .next()
        .expect("the log's line")
        .rect();
    let button = harness
        .query_all_by(|n| n.label().is_some_and(|l| l.starts_with("Notices (")))
        .next()
        .expect("the button")
        .rect();
    assert!(
        line.center().x > screen.center().x && line.center().y > screen.center().y && line.max.y < button.min.y,
        "the log opened at {line:?}, its button is at {button:?}"
    );
}

#[test]
fn folded_panels_stay_folded_in_the_next_run() {
    use egui::accesskit::Role;
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    harness.get_by_label("Publish form").click();
    harness.get_by_label("Charts").click();
    step_until(&mut harness, "both folded", |h| {
        h.query_by_role_and_label(Role::TextInput, "Topic").is_none() && !has_text(h, "Add series")
    });
    let storage = common::harness::save_at_exit(&mut harness);
    drop(harness);

    let mut next_run = connected_to(&broker.url());
    next_run.state_mut().app.restore(&storage);
    next_run.run_steps(3);
    assert!(next_run.query_by_role_and_label(Role::TextInput, "Topic").is_none());
    assert!(!has_text(&next_run, "Add series"));
    // The switches bring them back.
    next_run.get_by_label("Charts").click();
    step_until(&mut next_run, "the charts back", |h| has_text(h, "Add series"));
}

/// Deep Sparkplug topics open down to their devices by themselves, as
/// home/kitchen/light opens down to light.
#[test]
fn deep_sparkplug_topics_open_like_the_rest() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let device = common::publisher(&rt, broker.port, "deep-device");
    for topic in [
        "home/kitchen/light",
        "spBv1.0/工厂/DDATA/edge1/温度计",
        "spBv1.0/工厂/NDATA/edge1",
    ] {
        rt.block_on(device.publish(topic, common::qos(1), true, vec![0x08u8, 0x01]))
            .unwrap();
    }
    device.settled(&rt);
    let mut harness = connected_to(&broker.url());
    step_until(&mut harness, "the rows, without a click", |h| {
        has_label(h, "light") && has_label(h, "温度计")
    });
    assert!(common::harness::row_on_screen(&harness, "温度计"));
}

/// A toast would cover the profile form: while the form is open toasts wait,
/// unaged, and come back when it closes.
#[test]
fn toasts_wait_while_the_profile_form_is_open() {
    let broker = common::Mosquitto::start();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = connected_to(&broker.url());
    harness.state_mut().app.set_notice_lifetimes(Lifetimes {
        info: Duration::from_millis(1500),
        warning: Duration::from_millis(1500),
    });
    common::harness::record_and_stop(&mut harness, &dir.path().join("r.ndjson"));
    step_until(&mut harness, "the notice", |h| has_text(h, "Recorded 0 messages to"));
    harness.get_by_label("Connection").click();
    step_until(&mut harness, "the menu", |h| has_label(h, "New connection…"));
    harness.get_by_label("New connection…").click();
    step_until(&mut harness, "the form, and the toast gone from over it", |h| {
        has_label(h, "Save and connect") && !has_text(h, "Recorded 0 messages to")
    });
    // Longer than its lifetime, with the form open: it waits.
    let until = std::time::Instant::now() + Duration::from_millis(2000);
    step_until(&mut harness, "time to pass", |_| std::time::Instant::now() > until);
    assert!(!has_text(&harness, "Recorded 0 messages to"));
    harness.key_press(egui::Key::Escape);
    step_until(&mut harness, "the toast back once the form closes", |h| {
        !has_label(h, "Save and connect") && has_text(h, "Recorded 0 messages to")
    });
}

/// The repaint the last frame asked for (Duration::MAX: none).
fn repaint_asked(h: &Harness<'static, TestApp>) -> Duration {
    h.output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .map_or(Duration::MAX, |v| v.repaint_delay)
}

/// Nothing arriving, nothing moving: the window asks for no frame at all.
/// A message brings frames (its mark, the rate) until they settle again.
#[test]
fn an_idle_window_asks_for_no_frames() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let mut harness = connected_to(&broker.url());
    // Settled: a few frames for the connection's own news.
    harness.run_steps(8);
    assert_eq!(
        repaint_asked(&harness),
        Duration::MAX,
        "an idle window asked for a frame"
    );
    let device = common::publisher(&rt, broker.port, "idle-device");
    rt.block_on(device.publish("hall/温度", common::qos(1), false, "20.5"))
        .unwrap();
    step_until(&mut harness, "the message", |h| {
        h.state().app.model().unwrap().tree.get("hall/温度").is_some()
    });
    assert!(
        repaint_asked(&harness) <= Duration::from_secs(2),
        "news asks for frames (its mark, the rate)"
    );
    // The rate reads 0 again after its window; then nothing.
    let until = std::time::Instant::now() + Duration::from_secs(8);
    step_until(&mut harness, "the rate back to 0", |_| {
        std::time::Instant::now() > until
    });
    harness.run_steps(4);
    assert_eq!(
        repaint_asked(&harness),
        Duration::MAX,
        "still asking after the news settled"
    );
}

/// Typing a payload that is not JSON yet says what is wrong under the
/// payload's buttons, and Format and "{{…}}" stay where they are: nothing
/// jumps under the pointer while the mistake comes and goes.
#[test]
fn a_payload_mistake_does_not_move_the_payload_buttons() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    harness.set_size(egui::vec2(800.0, 600.0));
    harness.run_steps(3);
    use egui::accesskit::Role;
    harness.get_by_label("Payload as JSON").click();
    harness.run_steps(2);
    common::harness::type_into(&mut harness, "Payload", r#"{"t": 1}"#);
    step_until(&mut harness, "the check", |h| has_text(h, "valid JSON"));
    let format = rect_of(&harness, Role::Button, "Format");
    let insert = rect_of(&harness, Role::Button, "{{…}}");
    common::harness::type_into(
        &mut harness,
        "Payload",
        r#"{"t" 1, "longer": "so that the mistake is a long line"}"#,
    );
    step_until(&mut harness, "the mistake said", |h| has_text(h, "JSON error"));
    assert_eq!(rect_of(&harness, Role::Button, "Format"), format);
    assert_eq!(rect_of(&harness, Role::Button, "{{…}}"), insert);
}
