//! Live charts as a user drives them, against a real Mosquitto: chart a JSON
//! field from the inspector, set a threshold, see the alert arrive and clear;
//! a wildcard series that grows as sensors appear, its layout restored on the
//! next start, and its points exported to CSV; pause, follow, zoom and a
//! double click; a long series drawn decimated with its spike kept.

mod common;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use mqscope::app::Startup;

use common::harness::{TestApp, connected_to, harness_in, has_label, has_text, step_until, type_into};

fn alerting(h: &Harness<'static, TestApp>) -> Vec<String> {
    h.state()
        .app
        .model()
        .unwrap()
        .charts
        .alerting()
        .map(|s| s.topic.clone())
        .collect()
}

#[test]
fn chart_a_json_field_set_a_threshold_and_see_the_alert() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let rt = common::runtime();
    let sensor = common::publisher(&rt, broker.port, "climate-sensor");
    let publish = |json: &str| {
        rt.block_on(sensor.publish("office/room1/climate", common::qos(1), false, json.to_owned()))
            .unwrap();
    };
    publish(r#"{"temperature": 24.5, "humidity": 41}"#);
    step_until(&mut harness, "the sensor in the tree", |h| has_label(h, "climate"));

    // Chart the temperature field from the inspector.
    harness.get_by_label("climate").click();
    step_until(&mut harness, "a chart button for the field", |h| {
        has_label(h, "📈 temperature")
    });
    harness.get_by_label("📈 temperature").click();
    let rule_button = "Alert rule for office/room1/climate · temperature";
    step_until(&mut harness, "the series in the chart's table", |h| {
        has_label(h, rule_button)
    });
    assert!(has_text(&harness, "24.5"), "the last value is in the table");

    // Alert above 28.
    harness.get_by_label(rule_button).click();
    step_until(&mut harness, "the rule form", |h| has_label(h, "hysteresis"));
    type_into(&mut harness, "above", "28");
    harness.get_by_label("Set rule").click();
    // The rule is kept on the series (the table shows it beside the series;
    // there is no legend over the data to name the dashed line in).
    step_until(&mut harness, "the rule on the series", |h| {
        h.state()
            .app
            .model()
            .unwrap()
            .charts
            .charts()
            .iter()
            .flat_map(|c| &c.sources)
            .any(|s| s.spec.label() == "office/room1/climate · temperature" && s.spec.threshold.above == Some(28.0))
    });
    assert!(alerting(&harness).is_empty(), "24.5 is not above 28");

    // A message above the line raises the alert: notice, tree mark, log.
    publish(r#"{"temperature": 29.2, "humidity": 40}"#);
    step_until(&mut harness, "the alert notice", |h| {
        has_text(h, "Alert: office/room1/climate · temperature = 29.2 (> 28)")
    });
    assert_eq!(alerting(&harness), ["office/room1/climate"]);
    assert_eq!(
        harness.query_all_by_label("⚠").count(),
        3,
        "the topic's row in the tree carries the mark, and so do office and room1 above it"
    );
    assert!(has_text(&harness, "⚠ Alerts (1)"), "the chart's toolbar counts it");

    // Back under the line but within the hysteresis (0.5): still raised.
    publish(r#"{"temperature": 27.8, "humidity": 40}"#);
    step_until(&mut harness, "the value in the table", |h| has_text(h, "27.8"));
    assert_eq!(alerting(&harness), ["office/room1/climate"], "no flapping");

    // Clearly back: cleared, and said so.
    publish(r#"{"temperature": 26.9, "humidity": 40}"#);
    step_until(&mut harness, "the cleared notice", |h| {
        has_text(h, "Cleared: office/room1/climate · temperature = 26.9 (no longer > 28)")
    });
    assert!(alerting(&harness).is_empty());
    assert_eq!(harness.query_all_by_label("⚠").count(), 0, "the tree marks are gone");

    // The alerts log has both, with time, topic, value and rule.
    harness.get_by_label("Alerts log (2)").click();
    step_until(&mut harness, "the alerts log", |h| {
        has_label(h, "raised") && has_label(h, "cleared")
    });
    assert!(has_label(&harness, "29.2") && has_label(&harness, "26.9"));
}

#[test]
fn a_wildcard_series_grows_with_new_sensors_is_restored_and_exports_csv() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let rt = common::runtime();
    let sensors = common::publisher(&rt, broker.port, "wildcard-sensors");
    let publish = |topic: &str, value: &str| {
        rt.block_on(sensors.publish(topic, common::qos(1), true, value.to_owned()))
            .unwrap();
    };
    publish("plant/a/temperature", "21.5 °C");
    publish("plant/b/temperature", "22");
    publish("plant/b/pressure", "1013");
    step_until(&mut harness, "two sensors in the tree", |h| {
        has_label(h, "a") && has_label(h, "b")
    });

    // Add a series for every plant temperature.
    harness.get_by_label("➕ Add series").click();
    harness.step();
    type_into(&mut harness, "Topic or filter", "plant/#/temperature");
    harness.get_by_label("Add").click();
    step_until(&mut harness, "the filter refused", |h| {
        has_text(h, "# must be a whole level")
    });
    type_into(&mut harness, "Topic or filter", "plant/+/temperature");
    harness.get_by_label("Add").click();
    step_until(&mut harness, "the wildcard series", |h| {
        has_text(h, "plant/a/temperature") && has_text(h, "plant/b/temperature")
    });
    assert!(!has_text(&harness, "plant/b/pressure"));

    // A third sensor appears and joins the chart.
    publish("plant/c/temperature", "23.25");
    step_until(&mut harness, "the new sensor's series", |h| {
        has_text(h, "plant/c/temperature")
    });
    let points = |h: &Harness<'static, TestApp>| -> Vec<(String, Vec<f64>)> {
        h.state()
            .app
            .model()
            .unwrap()
            .charts
            .all_series()
            .map(|(_, s)| (s.topic.clone(), s.points.iter().map(|p| p[1]).collect()))
            .collect()
    };
    assert_eq!(
        points(&harness),
        [
            ("plant/a/temperature".to_owned(), vec![21.5]),
            ("plant/b/temperature".to_owned(), vec![22.0]),
            ("plant/c/temperature".to_owned(), vec![23.25]),
        ]
    );

    // Export the chart's points as CSV.
    harness.get_by_label("Export").click();
    step_until(&mut harness, "the export menu", |h| has_label(h, "Series as CSV…"));
    harness.get_by_label("Series as CSV…").click();
    harness.step();
    let csv = harness.state().config.path().join("plant.csv");
    type_into(&mut harness, "Save the series as CSV to", &csv.display().to_string());
    harness.get_by_label("Save").click();
    step_until(&mut harness, "the saved notice", |h| {
        has_text(h, "Saved 3 chart points as CSV")
    });
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "time,topic,path,value");
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].ends_with(",plant/a/temperature,,21.5"), "{}", lines[1]);
    assert!(lines[3].ends_with(",plant/c/temperature,,23.25"), "{}", lines[3]);

    // Next start, same broker: the chart comes back, filled from the retained values.
    harness.state().app.flush_files();
    let layouts = std::fs::read_to_string(harness.state().config.path().join("connections.json")).unwrap();
    drop(harness);
    let config = tempfile::tempdir().unwrap();
    std::fs::write(config.path().join("connections.json"), layouts).unwrap();
    let spec = mqscope::vocab::parse_broker_url(&broker.url()).unwrap();
    let mut harness = harness_in(Startup::Connect(Box::new(spec)), config);
    step_until(&mut harness, "the restored chart with its three sensors", |h| {
        has_text(h, "plant/a/temperature") && has_text(h, "plant/b/temperature") && has_text(h, "plant/c/temperature")
    });
    step_until(&mut harness, "a point from each retained value", |h| {
        points(h).len() >= 3
    });
    assert_eq!(points(&harness).len(), 3, "one point each, no more");

    // A match that is not a number (a sensor saying "offline") is counted, not listed.
    rt.block_on(sensors.publish("plant/d/temperature", common::qos(1), false, "offline".to_owned()))
        .unwrap();
    step_until(&mut harness, "the count of topics without a number", |h| {
        has_text(h, "1 matching topic without a number at this path, not listed")
    });
    assert!(!has_text(&harness, "plant/d/temperature"));
}

#[test]
fn a_profiles_charts_and_rules_come_back_on_connect_and_changes_are_saved_to_it() {
    let broker = common::Mosquitto::start();
    let rt = common::runtime();
    let sensor = common::publisher(&rt, broker.port, "boiler-sensor");
    rt.block_on(sensor.publish("plant/boiler/temp", common::qos(1), true, "91.5".to_owned()))
        .unwrap();
    // A profile saved earlier with a chart and a rule on it.
    let config = tempfile::tempdir().unwrap();
    let profiles = serde_json::json!({
        "version": 1,
        "profiles": [{
            "name": "Plant",
            "host": "127.0.0.1",
            "port": broker.port,
            "charts": [{
                "name": "Boiler",
                "series": [{"filter": "plant/boiler/temp", "threshold": {"above": 90.0, "hysteresis": 1.0}}]
            }]
        }]
    });
    let profiles_path = config.path().join("profiles.json");
    std::fs::write(&profiles_path, profiles.to_string()).unwrap();
    let mut harness = harness_in(Startup::Profile("Plant".into()), config);

    // The chart is back, filled from the retained value, and the rule judges it at once.
    step_until(&mut harness, "the restored Boiler chart", |h| {
        has_label(h, "Boiler") && has_label(h, "Alert rule for plant/boiler/temp")
    });
    step_until(&mut harness, "the alert on the retained value", |h| {
        has_text(h, "Alert: plant/boiler/temp = 91.5 (> 90)")
    });
    assert_eq!(alerting(&harness), ["plant/boiler/temp"]);

    // A second chart tab with a series: saved into the profile, which keeps its other fields.
    harness.get_by_label("➕ Chart").click();
    step_until(&mut harness, "the new tab", |h| has_label(h, "Chart 2"));
    harness.get_by_label("➕ Add series").click();
    harness.step();
    type_into(&mut harness, "Topic or filter", "plant/+/pressure");
    harness.get_by_label("Add").click();
    step_until(&mut harness, "the profile file to hold both charts", |_| {
        let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&profiles_path).unwrap()).unwrap();
        let charts = &saved["profiles"][0]["charts"];
        charts[1]["series"][0]["filter"] == "plant/+/pressure"
            && charts[0]["series"][0]["threshold"]["above"] == 90.0
            && saved["profiles"][0]["host"] == "127.0.0.1"
    });
    // Hiding a series is part of the layout too.
    harness.get_by_label("Boiler").click();
    step_until(&mut harness, "the Boiler tab", |h| {
        has_label(h, "Show plant/boiler/temp")
    });
    harness.get_by_label("Show plant/boiler/temp").click();
    step_until(&mut harness, "the hidden flag in the profile", |_| {
        std::fs::read_to_string(&profiles_path)
            .unwrap()
            .contains(r#""hidden": true"#)
    });
}

#[test]
fn the_demo_opens_its_temperature_chart_and_a_chart_flag_adds_a_wildcard_series() {
    // The demo's own chart with its 28 °C rule, and `--chart` with a filter:
    // both on the first connection, filled as the sensors publish.
    let runtime = common::runtime();
    let config = tempfile::tempdir().unwrap();
    let options = mqscope::app::AppOptions {
        charts: vec![("home/+/power".into(), String::new())],
        ..common::harness::options(Startup::Demo, config.path())
    };
    let mut app = mqscope::app::MqscopeApp::new(options, runtime.handle().clone());
    let ctx = egui::Context::default();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let series_of = |app: &mqscope::app::MqscopeApp, filter: &str| -> usize {
        app.model().map_or(0, |m| {
            m.charts
                .charts()
                .iter()
                .flat_map(|c| &c.sources)
                .filter(|s| s.spec.filter == filter)
                .map(|s| s.series.len())
                .sum()
        })
    };
    loop {
        app.logic(&ctx);
        if series_of(&app, "iot/+/temperature") >= 4 && series_of(&app, "home/+/power") >= 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the demo's series never filled");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let model = app.model().unwrap();
    let temperatures = model
        .charts
        .charts()
        .iter()
        .find(|c| c.name == "Temperatures")
        .expect("the demo's Temperatures chart");
    let rule = &temperatures.sources[0].spec.threshold;
    assert_eq!(rule.above, Some(28.0), "its alert above 28 °C: {rule:?}");
}

/// A chart of `topic` from "➕ Add series", with its first points in view.
fn chart_topic(harness: &mut Harness<'static, TestApp>, topic: &str) {
    harness.get_by_label("➕ Add series").click();
    harness.step();
    type_into(harness, "Topic or filter", topic);
    harness.get_by_label("Add").click();
    step_until(harness, "the series in the table", |h| has_text(h, "in view:"));
}

fn series_len(h: &Harness<'static, TestApp>, topic: &str) -> usize {
    let model = h.state().app.model().unwrap();
    model
        .charts
        .all_series()
        .find(|(_, s)| s.topic == topic)
        .map_or(0, |(_, s)| s.points.len())
}

fn drawn_max(h: &Harness<'static, TestApp>) -> f64 {
    h.state().app.chart_panel().unwrap().drawn()[0]
        .1
        .iter()
        .map(|p| p[1])
        .fold(f64::NEG_INFINITY, f64::max)
}

#[test]
fn pause_holds_the_view_follow_catches_up_and_the_wheel_or_a_double_click_switch() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let rt = common::runtime();
    let sensor = common::publisher(&rt, broker.port, "power-meter");
    let publish = |value: &str| {
        rt.block_on(sensor.publish("lab/power", common::qos(1), false, value.to_owned()))
            .unwrap();
    };
    for v in ["1", "2", "3"] {
        publish(v);
    }
    step_until(&mut harness, "the meter", |h| has_label(h, "power"));
    // Charted after the fact: the readings already stored are its first points.
    chart_topic(&mut harness, "lab/power");
    step_until(&mut harness, "three points in view", |h| {
        has_text(h, "in view: min 1 · max 3 · mean 2.00 · 3 pts")
    });

    // Paused: a new reading arrives, and the view (and the numbers under it) stay put.
    harness.get_by_label("⏸ Pause").click();
    step_until(&mut harness, "the button to offer following again", |h| {
        has_label(h, "▶ Follow live")
    });
    publish("100");
    step_until(&mut harness, "the new reading in the model", |h| {
        series_len(h, "lab/power") == 4
    });
    harness.run_steps(3);
    assert!(has_text(&harness, "· 3 pts"), "the paused view still shows 3 points");
    assert!(
        !has_text(&harness, "max 100"),
        "the new reading is outside the paused view"
    );

    // Following again: the view catches up.
    harness.get_by_label("▶ Follow live").click();
    step_until(&mut harness, "the new reading in view", |h| {
        has_text(h, "max 100") && has_text(h, "· 4 pts")
    });
    assert_eq!(drawn_max(&harness), 100.0);
    step_until(&mut harness, "the button to offer a pause again", |h| {
        has_label(h, "⏸ Pause")
    });

    // The wheel over the plot zooms, and that pauses; a double click follows again.
    let plot = harness.state().app.chart_panel().unwrap().plot_rect().expect("a plot");
    let at = plot.center();
    harness.event(egui::Event::PointerMoved(at));
    harness.step();
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: egui::vec2(0.0, 3.0),
        phase: egui::TouchPhase::Move,
        modifiers: egui::Modifiers::CTRL,
        source: egui::MouseWheelSource::Wheel,
    });
    step_until(&mut harness, "zooming to pause the chart", |h| {
        has_label(h, "▶ Follow live")
    });
    // Two clicks within the double-click time: in one frame (kittest's queued
    // events are a frame, 0.25 s, apart each).
    for pressed in [true, false, true, false] {
        harness.input_mut().events.push(egui::Event::PointerButton {
            pos: at,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    harness.step();
    step_until(&mut harness, "a double click to follow live again", |h| {
        has_label(h, "⏸ Pause")
    });

    // The wheel alone zooms time, around the pointer (and pauses): the
    // window of time shown narrows.
    let span = |h: &Harness<'static, TestApp>| {
        let (from, to) = h.state().app.chart_panel().unwrap().time_view().unwrap();
        to - from
    };
    let following = span(&harness);
    harness.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: egui::vec2(0.0, 3.0),
        phase: egui::TouchPhase::Move,
        modifiers: egui::Modifiers::NONE,
        source: egui::MouseWheelSource::Wheel,
    });
    step_until(&mut harness, "the wheel to pause the chart", |h| {
        has_label(h, "▶ Follow live")
    });
    step_until(&mut harness, "a narrower window of time", |h| span(h) < following * 0.8);
}

#[test]
fn a_long_series_is_drawn_decimated_and_keeps_its_spike() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let rt = common::runtime();
    let sensor = common::publisher(&rt, broker.port, "flow-meter");
    rt.block_on(sensor.publish("lab/flow", common::qos(1), false, "20"))
        .unwrap();
    step_until(&mut harness, "the meter", |h| has_label(h, "flow"));
    chart_topic(&mut harness, "lab/flow");
    harness.get_by_label("All").click();
    // 6,000 more readings, one spike among them.
    rt.block_on(async {
        for i in 0..6_000 {
            let value = if i == 3_000 { "95.5" } else { "20" };
            sensor.publish("lab/flow", common::qos(0), false, value).await.unwrap();
        }
    });
    step_until(&mut harness, "every reading charted", |h| {
        series_len(h, "lab/flow") == 6_001
    });
    harness.run_steps(2);
    assert!(has_text(&harness, "max 95.5"), "the numbers count every point");
    assert!(has_text(&harness, "· 6001 pts"));
    let panel = harness.state().app.chart_panel().unwrap();
    let (_, points) = &panel.drawn()[0];
    let columns = panel.plot_rect().unwrap().width() * harness.ctx.pixels_per_point();
    assert!(
        points.len() < 6_001 && points.len() as f32 <= 4.0 * columns,
        "{} points drawn on {columns} pixel columns",
        points.len()
    );
    assert_eq!(drawn_max(&harness), 95.5, "the spike survives decimation");
}

#[test]
fn chart_as_png_saves_the_plot_cut_from_the_window() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let rt = common::runtime();
    let sensor = common::publisher(&rt, broker.port, "png-sensor");
    rt.block_on(sensor.publish("lab/level", common::qos(1), false, "7"))
        .unwrap();
    step_until(&mut harness, "the sensor", |h| has_label(h, "level"));
    chart_topic(&mut harness, "lab/level");
    harness.get_by_label("Export").click();
    step_until(&mut harness, "the export menu", |h| has_label(h, "Chart as PNG…"));
    harness.get_by_label("Chart as PNG…").click();
    harness.step();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("level.png");
    type_into(&mut harness, "Save the chart as PNG to", &png.display().to_string());
    harness.get_by_label("Save").click();
    // Play the window system: answer the app's screenshot request with a
    // picture of the whole window whose every pixel says where it is.
    let mut request = None;
    for _ in 0..10 {
        harness.step();
        request = harness.output().viewport_output.values().find_map(|v| {
            v.commands.iter().find_map(|c| match c {
                egui::ViewportCommand::Screenshot(callback) => Some(callback.clone()),
                _ => None,
            })
        });
        if request.is_some() {
            break;
        }
    }
    let request = request.expect("the app asked for a screenshot");
    // Where the plot was in the frame the picture is of.
    let plot = harness.state().app.chart_panel().unwrap().plot_rect().unwrap();
    let ppp = harness.ctx.pixels_per_point();
    let screen = harness.ctx.content_rect();
    let [w, h] = [(screen.width() * ppp) as usize, (screen.height() * ppp) as usize];
    let pixel =
        |x: usize, y: usize| egui::Color32::from_rgb((x % 251) as u8, (y % 251) as u8, ((x / 251) * 8 + y / 251) as u8);
    let pixels = (0..h).flat_map(|y| (0..w).map(move |x| pixel(x, y))).collect();
    request.complete(std::sync::Arc::new(egui::ColorImage::new([w, h], pixels)));
    step_until(&mut harness, "the PNG written", |_| png.exists());

    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (x0, y0) = ((plot.min.x * ppp).floor() as usize, (plot.min.y * ppp).floor() as usize);
    assert_eq!(
        (info.width, info.height),
        (
            ((plot.max.x * ppp).ceil() as usize - x0) as u32,
            ((plot.max.y * ppp).ceil() as usize - y0) as u32
        ),
        "the plot's size, not the window's ({w}×{h})"
    );
    assert!(info.width < w as u32 && info.height < h as u32);
    let first = pixel(x0, y0);
    let last = pixel(x0 + info.width as usize - 1, y0 + info.height as usize - 1);
    let at = |i: usize| [buf[i * 4], buf[i * 4 + 1], buf[i * 4 + 2]];
    assert_eq!(at(0), [first.r(), first.g(), first.b()], "cut where the plot starts");
    assert_eq!(
        at((info.width * info.height) as usize - 1),
        [last.r(), last.g(), last.b()],
        "and where it ends"
    );
}

/// Watts beside °C: the watts go on an axis of their own on the right, and
/// both fill the plot's height instead of the °C lying flat at the bottom.
/// The choice is kept with the chart.
#[test]
fn a_series_in_another_unit_reads_against_a_right_axis_of_its_own() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let rt = common::runtime();
    let meter = common::publisher(&rt, broker.port, "units-meter");
    for (t, w) in [("21.0", "1200"), ("23.0", "1800")] {
        rt.block_on(meter.publish("lab/温度", common::qos(1), false, t.to_owned()))
            .unwrap();
        rt.block_on(meter.publish("lab/power", common::qos(1), false, w.to_owned()))
            .unwrap();
    }
    step_until(&mut harness, "both topics", |h| {
        h.state().app.model().unwrap().tree.get("lab/power").is_some()
            && h.state().app.model().unwrap().tree.get("lab/温度").is_some()
    });
    chart_topic(&mut harness, "lab/温度");
    chart_topic(&mut harness, "lab/power");
    step_until(&mut harness, "two points each", |h| {
        series_len(h, "lab/温度") == 2 && series_len(h, "lab/power") == 2
    });
    assert_eq!(harness.state().app.chart_panel().unwrap().right_axis_scale(), None);
    harness.get_by_label("Right axis for lab/power").click();
    step_until(&mut harness, "the right axis", |h| {
        h.state().app.chart_panel().unwrap().right_axis_scale().is_some()
    });
    let (a, b) = harness.state().app.chart_panel().unwrap().right_axis_scale().unwrap();
    // 1200–1800 W drawn over 21–23 °C.
    assert!(
        (a * 1200.0 + b - 21.0).abs() < 1e-9 && (a * 1800.0 + b - 23.0).abs() < 1e-9,
        "{a} {b}"
    );
    let kept = harness.state().app.model().unwrap().charts.layouts();
    assert!(
        serde_json::to_string(&kept).unwrap().contains("\"right_axis\":true"),
        "kept with the chart"
    );
}

/// "2×" draws the chart again off screen at twice the window's pixels: a
/// PNG twice the plot's size in pixels, with the plot in it (its axes, its
/// line, its title), made without asking the window for a screenshot.
#[test]
fn chart_as_png_at_2x_is_drawn_off_screen_at_twice_the_pixels() {
    let broker = common::Mosquitto::start();
    let mut harness = connected_to(&broker.url());
    let rt = common::runtime();
    let sensor = common::publisher(&rt, broker.port, "png2x-sensor");
    for v in ["7", "9.5", "8", "12"] {
        rt.block_on(sensor.publish("lab/水位", common::qos(1), false, v))
            .unwrap();
    }
    step_until(&mut harness, "the sensor", |h| has_label(h, "水位"));
    chart_topic(&mut harness, "lab/水位");
    harness.run_steps(3);
    harness.get_by_label("Export").click();
    step_until(&mut harness, "the export menu", |h| has_label(h, "Chart as PNG…"));
    harness.get_by_label("Chart as PNG…").click();
    harness.step();
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("水位.png");
    type_into(&mut harness, "Save the chart as PNG to", &png.display().to_string());
    harness.get_by_label("2×").click();
    harness.step();
    // The plot as it is when Save is pressed (the export row above it still open).
    let plot = harness.state().app.chart_panel().unwrap().plot_rect().unwrap();
    harness.get_by_label("Save").click();
    let asked_for_a_screenshot = std::cell::Cell::new(false);
    step_until(&mut harness, "the PNG written", |h| {
        let asked = h.output().viewport_output.values().any(|v| {
            v.commands
                .iter()
                .any(|c| matches!(c, egui::ViewportCommand::Screenshot(_)))
        });
        asked_for_a_screenshot.set(asked_for_a_screenshot.get() || asked);
        png.exists()
    });
    let asked_for_a_screenshot = asked_for_a_screenshot.get();
    assert!(!asked_for_a_screenshot, "drawn off screen, not cut from the window");
    step_until(&mut harness, "the saved notice", |h| {
        has_text(h, "Saved the chart (PNG, 2×)")
    });

    let ppp = harness.ctx.pixels_per_point();
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(
        (info.width, info.height),
        (
            (plot.width() * ppp * 2.0).round() as u32,
            (plot.height() * ppp * 2.0).round() as u32
        ),
        "twice the plot's size in pixels"
    );
    // Something is drawn on the background: axes, labels, the line, the title.
    let pixels: Vec<[u8; 3]> = buf.chunks_exact(4).map(|p| [p[0], p[1], p[2]]).collect();
    let mut counts = std::collections::HashMap::new();
    for p in &pixels {
        *counts.entry(*p).or_insert(0usize) += 1;
    }
    let background = *counts.iter().max_by_key(|(_, n)| **n).unwrap().0;
    let far = |p: &[u8; 3]| {
        p.iter()
            .zip(background)
            .map(|(a, b)| (i32::from(*a) - i32::from(b)).abs())
            .sum::<i32>()
            > 120
    };
    let drawn = pixels.iter().filter(|p| far(p)).count();
    assert!(drawn > 2_000, "{drawn} pixels drawn on the background");
    // The title, top left inside the plot (left of the middle, top eighth).
    let (w, h) = (info.width as usize, info.height as usize);
    let title = (0..h / 8)
        .flat_map(|y| (w / 10..w / 2).map(move |x| (x, y)))
        .filter(|(x, y)| far(&pixels[y * w + x]))
        .count();
    assert!(title > 50, "{title} pixels of the title");
}
