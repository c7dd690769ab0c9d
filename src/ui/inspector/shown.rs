//! What the inspector shows of a message, kept between frames: decoded once
//! when the message, the view or the diff asked for changes (a payload past
//! the decode limit only in part, unless asked), the diff against another
//! message started off the frame, the line numbers and the JSON tree.

use super::*;

impl InspectorPanel {
    /// Bring the shown message up to date with `message` and the choices made.
    pub(super) fn refresh_shown(
        &mut self,
        ctx: &egui::Context,
        model: &Model,
        topic: &str,
        history: &std::collections::VecDeque<crate::model::StoredMessage>,
        message: &crate::model::StoredMessage,
    ) {
        let default_view = PayloadView::default_for_topic(topic);
        let view = self.views.get(topic).copied().unwrap_or(default_view);
        let show_diff = self.show_diff;
        let decode_all = self.decode_all_seq == Some(message.seq);
        if self.cache.as_ref().is_none_or(|shown| {
            shown.seq != message.seq
                || shown.view != view
                || shown.diff_requested != show_diff
                || (shown.prefix_only && decode_all)
                || shown.diff_against != self.compare_seq
        }) {
            let payload = &message.payload;
            let chosen = self.compare_seq.and_then(|seq| history.iter().find(|m| m.seq == seq));
            let previous = chosen.or_else(|| history.iter().rev().skip_while(|m| m.seq != message.seq).nth(1));
            // Bounded (a diff of two huge payloads looks at their first bytes,
            // with a deadline) and off the frame: it shows when it is ready.
            let diff = match previous.filter(|_| show_diff) {
                Some(previous) => {
                    let old = previous.payload[..previous.payload.len().min(DECODE_LIMIT_BYTES)].to_vec();
                    let new = payload[..payload.len().min(DECODE_LIMIT_BYTES)].to_vec();
                    let ctx = ctx.clone();
                    DiffState::Pending(
                        self.diffs
                            .submit(move || diff(&old, &new), move || ctx.request_repaint()),
                    )
                }
                None => DiffState::Off,
            };
            let mut rendered = render(payload, view);
            // Sparkplug data by alias only: named from the edge node's births.
            if rendered.kind == "Sparkplug B"
                && let Some(births) = model.sparkplug.births(topic)
                && let Ok(text) = crate::payload::sparkplug::sparkplug_named(payload, Some(&births))
            {
                rendered.text = text;
            }
            let rendered_kind_is_sparkplug = rendered.kind == "Sparkplug B";
            self.cache = Some(if payload.len() <= DECODE_LIMIT_BYTES || decode_all {
                ShownMessage {
                    seq: message.seq,
                    view,
                    tree: None,
                    gutter: String::new(),
                    rendered,
                    diff_requested: show_diff,
                    diff_against: self.compare_seq,
                    diff,
                    // The Chart row: JSON, MessagePack and CBOR fields by path;
                    // Sparkplug metrics by name.
                    fields: if rendered_kind_is_sparkplug {
                        crate::payload::sparkplug_fields(payload, MAX_CHART_FIELDS)
                    } else {
                        numeric_fields(payload, MAX_CHART_FIELDS)
                    },
                    prefix_only: false,
                }
            } else {
                ShownMessage {
                    seq: message.seq,
                    view,
                    tree: None,
                    gutter: String::new(),
                    rendered: decode_prefix(&payload[..DECODE_LIMIT_BYTES]),
                    diff_requested: show_diff,
                    diff_against: self.compare_seq,
                    diff,
                    fields: Vec::new(),
                    prefix_only: true,
                }
            });
        }
        if let Some(cache) = &mut self.cache
            && cache.gutter.is_empty()
            && !matches!(cache.rendered.kind, "Hex" | "Base64" | "Empty")
        {
            let shown = truncate_at_char(&cache.rendered.text, MAX_SHOWN_BYTES);
            let lines = shown.lines().count().max(1);
            cache.gutter = (1..=lines).map(|n| n.to_string()).collect::<Vec<_>>().join("\n");
        }
        let structured = self
            .cache
            .as_ref()
            .is_some_and(|c| matches!(c.rendered.kind, "JSON" | "MessagePack" | "CBOR" | "Sparkplug B"));
        // Parsed once per message: for the tree, and for Sparkplug's metrics table.
        let sparkplug = self.cache.as_ref().is_some_and(|c| c.rendered.kind == "Sparkplug B");
        if (self.as_tree || sparkplug)
            && structured
            && let Some(cache) = &mut self.cache
            && cache.tree.is_none()
        {
            cache.tree = serde_json::from_str(&cache.rendered.text).ok();
        }
    }
}
