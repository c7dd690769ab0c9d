//! The file formats things leave mqscope in: a chart's points as CSV and its
//! picture as PNG, and a subtree's stored messages as NDJSON (the recording
//! format, so it reopens) or CSV. Bytes only: the background writer saves
//! them; nothing here draws or touches a window.

use crate::files::csv_field;
use crate::model::Model;
use crate::vocab::ReceivedMessage;

pub fn default_export_path(folder: Option<std::path::PathBuf>, chart: &str, extension: &str) -> String {
    let stem: String = chart
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let dir = folder
        .or_else(|| directories::UserDirs::new().and_then(|d| d.download_dir().map(|p| p.to_path_buf())))
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    dir.join(format!("mqscope-{stem}-{stamp}.{extension}"))
        .display()
        .to_string()
}

/// The part of a screenshot inside `rect` (in points), as PNG bytes.
pub fn encode_png(image: &egui::ColorImage, rect: egui::Rect, pixels_per_point: f32) -> Result<Vec<u8>, String> {
    let [w, h] = image.size;
    let x0 = ((rect.min.x * pixels_per_point).floor().max(0.0) as usize).min(w);
    let y0 = ((rect.min.y * pixels_per_point).floor().max(0.0) as usize).min(h);
    let x1 = ((rect.max.x * pixels_per_point).ceil().max(0.0) as usize).min(w);
    let y1 = ((rect.max.y * pixels_per_point).ceil().max(0.0) as usize).min(h);
    if x1 <= x0 || y1 <= y0 {
        return Err("the chart is not on screen".into());
    }
    let mut rgba = Vec::with_capacity((x1 - x0) * (y1 - y0) * 4);
    for y in y0..y1 {
        for pixel in &image.pixels[y * w + x0..y * w + x1] {
            rgba.extend_from_slice(&pixel.to_srgba_unmultiplied());
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, (x1 - x0) as u32, (y1 - y0) as u32);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer.write_image_data(&rgba).map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
}

/// The series of a chart as CSV: `time,topic,path,value`, time in local ISO 8601 with milliseconds.
pub fn chart_csv(model: &Model, chart: usize) -> Option<(Vec<u8>, usize)> {
    let chart = model.charts.charts().get(chart)?;
    let mut out = String::from("time,topic,path,value\n");
    let mut rows = 0;
    for source in &chart.sources {
        for series in source.series.iter().filter_map(|&id| model.charts.series(id)) {
            let topic = csv_field(&series.topic);
            let path = csv_field(&series.path);
            for p in &series.points {
                let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs_f64(p[0].max(0.0));
                let time =
                    chrono::DateTime::<chrono::Local>::from(at).to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
                out.push_str(&format!("{time},{topic},{path},{}\n", p[1]));
                rows += 1;
            }
        }
    }
    Some((out.into_bytes(), rows))
}

/// The stored messages at and below `node`, oldest first, as NDJSON (the
/// recording format) or CSV (`time,topic,qos,retain,payload,payload_b64`).
/// Returns the bytes and the number of messages.
pub fn export_messages(model: &crate::model::Model, node: crate::model::NodeId, csv: bool) -> (Vec<u8>, usize) {
    let tree = &model.tree;
    let mut messages: Vec<ReceivedMessage> = Vec::new();
    let mut stack = vec![node];
    while let Some(id) = stack.pop() {
        let topic = tree.topic(id);
        for m in model.history.messages(id) {
            let mut r = ReceivedMessage::new(topic.clone(), m.payload.clone(), m.qos, m.retain);
            r.received_at = m.received_at();
            messages.push(r);
        }
        stack.extend(tree.node(id).children.iter().copied());
    }
    messages.sort_by_key(|m| m.received_at);
    let n = messages.len();
    if !csv {
        let mut out = Vec::new();
        for m in &messages {
            let _ = serde_json::to_writer(&mut out, &crate::record::line(m));
            out.push(b'\n');
        }
        return (out, n);
    }
    let field = crate::files::csv_field;
    let mut out = String::from("time,topic,qos,retain,payload,payload_b64\n");
    for m in &messages {
        let l = crate::record::line(m);
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            l.time,
            field(l.topic),
            l.qos,
            l.retain,
            field(l.payload.unwrap_or_default()),
            l.payload_b64.unwrap_or_default()
        ));
    }
    (out.into_bytes(), n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_field("iot/s1/temperature"), "iot/s1/temperature");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        // What a spreadsheet would run is defused; numbers stay numbers.
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("+cmd"), "'+cmd");
        assert_eq!(csv_field("-2+3"), "'-2+3");
        assert_eq!(csv_field("-21.5"), "-21.5");
        assert_eq!(csv_field("+1e3"), "+1e3");
    }

    #[test]
    fn png_is_the_cropped_plot() {
        let mut image = egui::ColorImage::filled([40, 30], egui::Color32::BLACK);
        image.pixels[10 * 40 + 20] = egui::Color32::RED;
        // Points 10..20 × 5..10 at 2 pixels per point: pixels 20..40 × 10..20.
        let rect = egui::Rect::from_min_max(egui::pos2(10.0, 5.0), egui::pos2(20.0, 10.0));
        let bytes = encode_png(&image, rect, 2.0).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (20, 10));
        assert_eq!(&buf[..4], &[255, 0, 0, 255], "the red pixel is the crop's first");
        assert!(
            encode_png(
                &image,
                egui::Rect::from_min_max(egui::pos2(50.0, 50.0), egui::pos2(60.0, 60.0)),
                1.0
            )
            .is_err()
        );
    }
}
