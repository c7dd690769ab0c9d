//! "Chart as PNG" at 2×: the chart drawn again by egui in a context of its
//! own at twice the window's pixels per point, tessellated by egui and
//! rasterised here on the CPU, on a job thread (never the UI thread). The
//! same drawing code as on screen, at the resolution of a HiDPI screen.

use std::collections::HashMap;

use egui::epaint::{ClippedPrimitive, Primitive};
use egui::{Color32, ColorImage, TextureId};

use super::drawn::Drawn;
use crate::model::Chart;

/// The longest side of a PNG drawn off screen, in pixels (a 4K screen at
/// 2× would otherwise ask for hundreds of MB).
pub(super) const MAX_SIDE: f32 = 8192.0;

/// What the chart on screen showed, to draw again off screen.
pub(super) struct Scene {
    pub chart: Chart,
    pub drawn: Vec<Vec<Drawn>>,
    pub scale: Option<(f64, f64)>,
    pub bounds: egui_plot::PlotBounds,
    /// The plot's size on screen, in points.
    pub size: egui::Vec2,
    pub pixels_per_point: f32,
    pub theme: egui::Theme,
    pub style: std::sync::Arc<egui::Style>,
}

/// The scene drawn at its `pixels_per_point`, as PNG bytes.
pub(super) fn render(scene: &Scene) -> Result<Vec<u8>, String> {
    let image = draw(scene)?;
    let whole = egui::Rect::from_min_size(egui::Pos2::ZERO, scene.size);
    crate::export::encode_png(&image, whole, scene.pixels_per_point)
}

/// The scene drawn at its `pixels_per_point`, as an image.
fn draw(scene: &Scene) -> Result<ColorImage, String> {
    let ppp = scene.pixels_per_point;
    if !(scene.size.x >= 1.0 && scene.size.y >= 1.0 && ppp > 0.0) {
        return Err("the chart is not on screen".into());
    }
    let ctx = egui::Context::default();
    ctx.set_theme(scene.theme);
    ctx.set_style_of(scene.theme, scene.style.clone());
    // The window's fonts: a Chinese chart name needs the system's CJK font.
    crate::ui::style::install_system_fonts(&ctx);
    let mut input = egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(egui::Pos2::ZERO, scene.size)),
        ..Default::default()
    };
    input
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .native_pixels_per_point = Some(ppp);
    let mut textures: HashMap<TextureId, ColorImage> = HashMap::new();
    let mut output = None;
    // The second pass lays out with the sizes the first one measured.
    for _ in 0..2 {
        let mut out = ctx.run_ui(input.clone(), |ui| {
            super::plot::draw_plot(
                ui,
                &scene.chart,
                &scene.drawn,
                scene.scale,
                super::plot::View::Fixed(scene.bounds),
                true,
            );
        });
        for (id, deltas) in &out.textures_delta.set {
            for delta in deltas {
                let egui::ImageData::Color(image) = &delta.image;
                match delta.pos {
                    None => {
                        textures.insert(*id, (**image).clone());
                    }
                    Some([x0, y0]) => {
                        if let Some(texture) = textures.get_mut(id) {
                            patch(texture, image, x0, y0);
                        }
                    }
                }
            }
        }
        // Applied: egui checks that no texture update is dropped unseen.
        out.textures_delta.clear();
        output = Some(out);
    }
    let output = output.ok_or("nothing was drawn")?;
    let primitives = ctx.tessellate(output.shapes, output.pixels_per_point);
    let size = [
        (scene.size.x * ppp).round() as usize,
        (scene.size.y * ppp).round() as usize,
    ];
    let mut image = ColorImage::filled(size, ctx.global_style().visuals.panel_fill);
    rasterise(&mut image, &primitives, &textures, ppp);
    Ok(image)
}

/// Copy `part` into `texture` at (x0, y0), as egui's partial texture updates ask.
fn patch(texture: &mut ColorImage, part: &ColorImage, x0: usize, y0: usize) {
    for y in 0..part.size[1] {
        for x in 0..part.size[0] {
            if x0 + x < texture.size[0] && y0 + y < texture.size[1] {
                texture.pixels[(y0 + y) * texture.size[0] + x0 + x] = part.pixels[y * part.size[0] + x];
            }
        }
    }
}

/// Draw egui's meshes into `image` as its painters do: vertex colour times
/// texture (bilinear), premultiplied, blended over what is there, in gamma
/// space; each mesh clipped to its rectangle. Pixel centres are sampled.
fn rasterise(
    image: &mut ColorImage,
    primitives: &[ClippedPrimitive],
    textures: &HashMap<TextureId, ColorImage>,
    ppp: f32,
) {
    let [w, h] = image.size;
    for clipped in primitives {
        let Primitive::Mesh(mesh) = &clipped.primitive else {
            continue; // paint callbacks: none in a chart
        };
        let texture = textures.get(&mesh.texture_id);
        // The clip rectangle in pixels, within the image.
        let image_rect = egui::Rect::from_min_size(egui::Pos2::ZERO, egui::vec2(w as f32, h as f32));
        let clip =
            egui::Rect::from_min_max(clipped.clip_rect.min * ppp, clipped.clip_rect.max * ppp).intersect(image_rect);
        for tri in mesh.indices.chunks_exact(3) {
            let [a, b, c] = [tri[0], tri[1], tri[2]].map(|i| &mesh.vertices[i as usize]);
            let mut p = [a, b, c].map(|v| v.pos * ppp);
            let mut v = [a, b, c];
            let mut area = edge(p[0], p[1], p[2]);
            if area.abs() < 1e-6 {
                continue;
            }
            if area < 0.0 {
                // One winding for all, so that the fill rule below is the same
                // for every triangle.
                p.swap(1, 2);
                v.swap(1, 2);
                area = -area;
            }
            let [a, b, c] = v;
            // A pixel centre on an edge two triangles share belongs to one of
            // them only (else a translucent mesh is blended twice along it).
            let owns = [
                owns_its_edge(p[1], p[2]),
                owns_its_edge(p[2], p[0]),
                owns_its_edge(p[0], p[1]),
            ];
            let bounds = egui::Rect::from_points(&p).intersect(clip);
            if !bounds.is_positive() {
                continue;
            }
            let (min_x, max_x) = (bounds.min.x.floor() as usize, bounds.max.x.ceil() as usize);
            let (min_y, max_y) = (bounds.min.y.floor() as usize, bounds.max.y.ceil() as usize);
            for y in min_y..max_y {
                for x in min_x..max_x {
                    let q = egui::pos2(x as f32 + 0.5, y as f32 + 0.5);
                    // Barycentric weights, whichever way the triangle winds.
                    let e = [edge(p[1], p[2], q), edge(p[2], p[0], q), edge(p[0], p[1], q)];
                    if (0..3).any(|i| e[i] < 0.0 || (e[i] == 0.0 && !owns[i])) {
                        continue;
                    }
                    let (wa, wb) = (e[0] / area, e[1] / area);
                    let wc = 1.0 - wa - wb;
                    let mix = |f: fn(&egui::epaint::Vertex) -> f32| wa * f(a) + wb * f(b) + wc * f(c);
                    let colour = [
                        mix(|v| f32::from(v.color.r())),
                        mix(|v| f32::from(v.color.g())),
                        mix(|v| f32::from(v.color.b())),
                        mix(|v| f32::from(v.color.a())),
                    ];
                    let texel = texture.map_or([255.0; 4], |t| sample(t, mix(|v| v.uv.x), mix(|v| v.uv.y)));
                    let src = [0, 1, 2, 3].map(|i| colour[i] * texel[i] / 255.0);
                    let dst = &mut image.pixels[y * w + x];
                    let keep = 1.0 - src[3] / 255.0;
                    let d = [dst.r(), dst.g(), dst.b(), dst.a()].map(f32::from);
                    let out = [0, 1, 2, 3].map(|i| (src[i] + d[i] * keep).round().clamp(0.0, 255.0) as u8);
                    *dst = Color32::from_rgba_premultiplied(out[0], out[1], out[2], out[3]);
                }
            }
        }
    }
}

/// Whether points exactly on the edge a→b are drawn by the triangle on its
/// inner side: for each edge shared by two triangles (walked one way by one
/// and the other way by the other), exactly one of the two says yes.
fn owns_its_edge(a: egui::Pos2, b: egui::Pos2) -> bool {
    let d = b - a;
    d.y < 0.0 || (d.y == 0.0 && d.x > 0.0)
}

/// Twice the signed area of (a, b, c): which side of a→b the point c is on.
fn edge(a: egui::Pos2, b: egui::Pos2, c: egui::Pos2) -> f32 {
    (b - a).x * (c - a).y - (b - a).y * (c - a).x
}

/// The texture at (u, v) (0–1), bilinear between texel centres, premultiplied RGBA.
fn sample(texture: &ColorImage, u: f32, v: f32) -> [f32; 4] {
    let [w, h] = texture.size;
    if w == 0 || h == 0 {
        return [0.0; 4];
    }
    let x = (u * w as f32 - 0.5).clamp(0.0, (w - 1) as f32);
    let y = (v * h as f32 - 0.5).clamp(0.0, (h - 1) as f32);
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = (x - x0 as f32, y - y0 as f32);
    let at = |x: usize, y: usize| {
        let c = texture.pixels[y * w + x];
        [c.r(), c.g(), c.b(), c.a()].map(f32::from)
    };
    let (p00, p10, p01, p11) = (at(x0, y0), at(x1, y0), at(x0, y1), at(x1, y1));
    [0, 1, 2, 3].map(|i| {
        let top = p00[i] + (p10[i] - p00[i]) * fx;
        let bottom = p01[i] + (p11[i] - p01[i]) * fx;
        top + (bottom - top) * fy
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mesh_is_filled_inside_its_triangles_and_clipped_to_its_rectangle() {
        // A red square from two triangles over a 4×4 black image, at 2 pixels
        // per point: points (0,0)–(1,1) are pixels 0–1; clipped to x < 1.5 points.
        let mut image = ColorImage::filled([4, 4], Color32::BLACK);
        let mut mesh = egui::Mesh::default();
        mesh.add_colored_rect(
            egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(2.0, 1.0)),
            Color32::RED,
        );
        let clip = egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.5, 2.0));
        let primitives = [ClippedPrimitive {
            clip_rect: clip,
            primitive: Primitive::Mesh(mesh),
        }];
        // The white texel egui's meshes sample for plain colour.
        let mut textures = HashMap::new();
        textures.insert(TextureId::default(), ColorImage::filled([2, 2], Color32::WHITE));
        rasterise(&mut image, &primitives, &textures, 2.0);
        let at = |x: usize, y: usize| image.pixels[y * 4 + x];
        assert_eq!(at(0, 0), Color32::RED);
        assert_eq!(at(2, 1), Color32::RED);
        assert_eq!(at(3, 0), Color32::BLACK, "clipped");
        assert_eq!(at(0, 2), Color32::BLACK, "below the square");
    }

    #[test]
    fn a_translucent_rectangle_is_blended_once_along_its_diagonal() {
        // Two triangles sharing the diagonal of a 4×4 square, whose pixel
        // centres lie on it: each pixel blended once, the same all over.
        let mut image = ColorImage::filled([4, 4], Color32::BLACK);
        let mut mesh = egui::Mesh::default();
        let half_white = Color32::from_rgba_premultiplied(100, 100, 100, 100);
        mesh.add_colored_rect(
            egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(4.0, 4.0)),
            half_white,
        );
        let primitives = [ClippedPrimitive {
            clip_rect: egui::Rect::EVERYTHING,
            primitive: Primitive::Mesh(mesh),
        }];
        rasterise(&mut image, &primitives, &HashMap::new(), 1.0);
        assert!(image.pixels.iter().all(|&p| p == image.pixels[0]), "{:?}", image.pixels);
        assert_eq!(image.pixels[0].r(), 100);
    }

    /// Two bursts of a sawtooth, 0.3 s apart, far apart in a window where
    /// 0.3 s is a fraction of a pixel: between them the chart draws a line,
    /// a few pixels a column. (egui_plot's "band" drawing of dense lines
    /// joined the burst's full height to the next point with a filled
    /// shape: a solid triangle over the gap, on screen and in the PNG.)
    #[test]
    fn bursts_far_apart_are_joined_by_a_line_not_a_filled_band() {
        use crate::model::{AlertState, Chart, SeriesSpec, Source, Stats};
        let t0 = 1_764_000_000.0;
        let mut raw = Vec::new();
        for burst in [0.0, 200.0] {
            for i in 0..30 {
                raw.push([t0 + burst + f64::from(i) * 0.3, 20.5 + f64::from(i % 10)]);
            }
        }
        let (x_min, x_max) = (t0 - 10.0, t0 + 220.0);
        let size = egui::vec2(440.0, 180.0);
        let green = Color32::from_rgb(0, 230, 0);
        let drawn = vec![vec![Drawn {
            label: "lab/saw".into(),
            topic: "lab/saw".into(),
            color: green,
            points: crate::model::decimate(raw.into_iter(), x_min, x_max, size.x as usize),
            stats: Stats::default(),
            last: None,
            skipped: 0,
            alert: AlertState::Normal,
        }]];
        let scene = Scene {
            chart: Chart {
                name: "saw".into(),
                sources: vec![Source {
                    spec: SeriesSpec::new("lab/saw", ""),
                    series: Vec::new(),
                    left_out: 0,
                }],
            },
            drawn,
            scale: None,
            bounds: egui_plot::PlotBounds::from_min_max([x_min, 19.0], [x_max, 31.0]),
            size,
            pixels_per_point: 1.0,
            theme: egui::Theme::Dark,
            style: std::sync::Arc::new(egui::Style::default()),
        };
        let image = draw(&scene).unwrap();
        let [w, h] = image.size;
        let is_line = |c: Color32| c.g() > 120 && c.r() < 90 && c.b() < 90;
        // The middle of the gap, well inside the plot whatever the axes take.
        let widest = (w * 2 / 5..w * 3 / 5)
            .map(|x| (0..h).filter(|&y| is_line(image.pixels[y * w + x])).count())
            .max()
            .unwrap();
        assert!(widest >= 1, "the line crosses the gap");
        assert!(widest <= 6, "{widest} pixels of one column in the series' colour");
        // A PNG has no table beside it: it carries the legend, top right
        // (light text there), the series' name in it.
        let text = |x0: usize, x1: usize| {
            (0..h / 5)
                .flat_map(|y| (x0..x1).map(move |x| (x, y)))
                .filter(|&(x, y)| {
                    let c = image.pixels[y * w + x];
                    c.r() > 150 && c.g() > 150 && c.b() > 150
                })
                .count()
        };
        assert!(text(w * 3 / 4, w) > 20, "the legend, top right");
    }

    #[test]
    fn half_transparent_colour_blends_over_what_is_there() {
        let mut image = ColorImage::filled([2, 2], Color32::from_rgb(0, 0, 200));
        let mut mesh = egui::Mesh::default();
        let half_white = Color32::from_rgba_premultiplied(128, 128, 128, 128);
        mesh.add_colored_rect(
            egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(2.0, 2.0)),
            half_white,
        );
        let primitives = [ClippedPrimitive {
            clip_rect: egui::Rect::EVERYTHING,
            primitive: Primitive::Mesh(mesh),
        }];
        rasterise(&mut image, &primitives, &HashMap::new(), 1.0);
        let c = image.pixels[0];
        assert_eq!((c.r(), c.g(), c.b()), (128, 128, 228), "{c:?}");
    }
}
