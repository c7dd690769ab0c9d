//! How the connection's panels share the window: the tree on the left, the
//! publish form on the right, the charts along the bottom, the inspector in
//! the middle. Sizes follow the window (a narrow window gets narrower
//! panels), the inspector always keeps room to be read, and the publish form
//! and the charts fold away (a button on the tab row, or a drag of their
//! edge past its minimum) and stay as the user left them between runs.

use serde::{Deserialize, Serialize};

/// Which of the foldable panels are open: the window's, for every tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PanelsShown {
    pub publish: bool,
    pub charts: bool,
}

impl Default for PanelsShown {
    fn default() -> Self {
        Self {
            publish: true,
            charts: true,
        }
    }
}

/// The inspector's least width and height: its title, payload and history
/// stay readable whatever the other panels ask.
pub const INSPECTOR_MIN_WIDTH: f32 = 300.0;
pub const INSPECTOR_MIN_HEIGHT: f32 = 300.0;
pub const TREE_MIN_WIDTH: f32 = 200.0;
pub const PUBLISH_MIN_WIDTH: f32 = 220.0;
pub const CHART_MIN_HEIGHT: f32 = 150.0;

/// Default and largest size of each panel for the room there is: `width`
/// and `height` are what the connection's panels share.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizes {
    pub tree: (f32, f32),
    pub publish: (f32, f32),
    pub chart: (f32, f32),
}

pub fn sizes(width: f32, height: f32, shown: PanelsShown) -> Sizes {
    let publish_room = if shown.publish { PUBLISH_MIN_WIDTH } else { 0.0 };
    let tree_default = (width * 0.33).clamp(TREE_MIN_WIDTH, 460.0);
    let tree_max = (width - INSPECTOR_MIN_WIDTH - publish_room).max(TREE_MIN_WIDTH);
    let publish_default = (width * 0.24).clamp(PUBLISH_MIN_WIDTH, 340.0);
    // The publish form shares what the tree leaves (checked again when drawn).
    let publish_max = (width - TREE_MIN_WIDTH - INSPECTOR_MIN_WIDTH).max(PUBLISH_MIN_WIDTH);
    let chart_default = (height * 0.3).clamp(CHART_MIN_HEIGHT, 300.0);
    let chart_max = (height - INSPECTOR_MIN_HEIGHT).max(CHART_MIN_HEIGHT);
    Sizes {
        tree: (tree_default.min(tree_max), tree_max),
        publish: (publish_default.min(publish_max), publish_max),
        chart: (chart_default.min(chart_max), chart_max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inspector_keeps_its_room_in_a_small_window_and_panels_grow_in_a_large_one() {
        let open = PanelsShown::default();
        // 800×600 less the top bar, tabs and status bar.
        let small = sizes(800.0, 500.0, open);
        assert!(
            small.tree.0 + small.publish.0 + INSPECTOR_MIN_WIDTH <= 800.0,
            "{small:?}"
        );
        assert!(small.tree.1 + PUBLISH_MIN_WIDTH + INSPECTOR_MIN_WIDTH <= 800.0);
        assert!(small.chart.1 + INSPECTOR_MIN_HEIGHT <= 500.0);
        let large = sizes(1920.0, 980.0, open);
        assert_eq!(large.tree.0, 460.0);
        assert_eq!(large.publish.0, 340.0);
        assert_eq!(large.chart.0, 980.0 * 0.3);
        // With the publish form folded the tree may take its room.
        let folded = sizes(
            800.0,
            500.0,
            PanelsShown {
                publish: false,
                charts: true,
            },
        );
        assert_eq!(folded.tree.1, 800.0 - INSPECTOR_MIN_WIDTH);
    }
}
