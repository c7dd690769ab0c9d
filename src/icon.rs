//! The app icon, drawn in code (no image file to ship or decode): a topic
//! tree — one node above two, joined — on a dark rounded square.

/// The icon as RGBA pixels, `size` × `size`.
pub fn icon(size: u32) -> egui::IconData {
    let s = size as f32;
    let nodes = [(0.5, 0.30), (0.30, 0.70), (0.70, 0.70)];
    let colours = [[255u8, 140, 60], [80, 170, 255], [120, 220, 120]];
    let mut rgba = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let (px, py) = ((x as f32 + 0.5) / s, (y as f32 + 0.5) / s);
            // Rounded square: inside when the distance to the inner square is under the radius.
            let r = 0.18;
            let dx = (px - 0.5).abs() - (0.5 - r);
            let dy = (py - 0.5).abs() - (0.5 - r);
            let outside = dx.max(0.0).hypot(dy.max(0.0)) > r;
            let mut pixel = if outside { [0, 0, 0, 0] } else { [28, 32, 40, 255] };
            if !outside {
                for &(cx, cy) in &nodes[1..] {
                    if segment_distance((px, py), nodes[0], (cx, cy)) < 0.03 {
                        pixel = [200, 205, 215, 255];
                    }
                }
                for (i, &(cx, cy)) in nodes.iter().enumerate() {
                    if (px - cx).hypot(py - cy) < 0.11 {
                        let [r, g, b] = colours[i];
                        pixel = [r, g, b, 255];
                    }
                }
            }
            rgba.extend_from_slice(&pixel);
        }
    }
    egui::IconData {
        rgba,
        width: size,
        height: size,
    }
}

fn segment_distance(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (abx, aby) = (b.0 - a.0, b.1 - a.1);
    let t = (((p.0 - a.0) * abx + (p.1 - a.1) * aby) / (abx * abx + aby * aby)).clamp(0.0, 1.0);
    (p.0 - (a.0 + t * abx)).hypot(p.1 - (a.1 + t * aby))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_icon_has_its_corners_clear_and_its_nodes_coloured() {
        let icon = super::icon(64);
        assert_eq!(icon.rgba.len(), 64 * 64 * 4);
        let at = |x: usize, y: usize| &icon.rgba[(y * 64 + x) * 4..(y * 64 + x) * 4 + 4];
        assert_eq!(at(0, 0)[3], 0, "transparent corner");
        assert_eq!(at(32, 19), [255, 140, 60, 255], "the root node");
        assert_eq!(at(32, 60), [28, 32, 40, 255], "background");
    }
}
