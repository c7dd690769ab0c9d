//! Threshold rules on chart series, as the user types them, and the alerts
//! log they fill.

use crate::model::{Model, SeriesSpec, Threshold, number};

use super::style;

/// The threshold row of one source.
#[derive(Debug)]
pub struct RuleForm {
    pub chart: usize,
    pub source: usize,
    pub label: String,
    pub above: String,
    pub below: String,
    pub hysteresis: String,
    pub error: Option<String>,
}

impl RuleForm {
    pub fn new(chart: usize, source: usize, spec: &SeriesSpec) -> Self {
        let t = spec.threshold;
        Self {
            chart,
            source,
            label: spec.label(),
            above: t.above.map(number).unwrap_or_default(),
            below: t.below.map(number).unwrap_or_default(),
            hysteresis: number(t.hysteresis),
            error: None,
        }
    }

    /// The rule as typed, or what is wrong with it.
    pub fn parse(&self) -> Result<Threshold, String> {
        let field = |text: &str, name: &str| -> Result<Option<f64>, String> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text.replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(Some)
                .ok_or_else(|| format!("'{text}' is not a number ({name})."))
        };
        let above = field(&self.above, "above")?;
        let below = field(&self.below, "below")?;
        let hysteresis = field(&self.hysteresis, "hysteresis")?.unwrap_or(0.0);
        if hysteresis < 0.0 {
            return Err("The hysteresis cannot be negative.".into());
        }
        if above.is_none() && below.is_none() {
            return Err("Enter a value to alert above, below, or both.".into());
        }
        if let (Some(a), Some(b)) = (above, below)
            && b >= a
        {
            return Err(format!(
                "'below' ({}) must be lower than 'above' ({}).",
                number(b),
                number(a)
            ));
        }
        Ok(Threshold {
            above,
            below,
            hysteresis,
        })
    }
}

pub fn alerts_ui(ui: &mut egui::Ui, model: &Model) {
    let log = &model.charts.alerts;
    if log.entries().is_empty() {
        ui.weak("No alerts yet. Set a rule with a ⚠ button in the series table.");
        return;
    }
    egui::Grid::new("alerts_log")
        .striped(true)
        .spacing([10.0, 2.0])
        .show(ui, |ui| {
            ui.strong("time");
            ui.strong("topic");
            ui.strong("value");
            ui.strong("rule");
            ui.strong("");
            ui.end_row();
            for e in log.entries().iter().rev() {
                ui.monospace(super::clock(e.at));
                ui.label(if e.path.is_empty() {
                    e.topic.clone()
                } else {
                    format!("{} · {}", e.topic, e.path)
                });
                ui.monospace(number(e.value));
                ui.monospace(&e.rule);
                if e.raised {
                    ui.colored_label(style::error(), "raised");
                } else {
                    ui.colored_label(style::ok_text(), "cleared");
                }
                ui.end_row();
            }
        });
    if log.dropped > 0 {
        ui.weak(format!("{} older entries are no longer kept.", log.dropped));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_form_reads_numbers_and_refuses_nonsense() {
        let mut form = RuleForm::new(0, 0, &SeriesSpec::new("t", ""));
        assert!(form.parse().unwrap_err().contains("above, below"));
        form.above = "28".into();
        assert_eq!(form.parse().unwrap(), Threshold::above(28.0));
        form.below = "3O".into();
        assert_eq!(form.parse().unwrap_err(), "'3O' is not a number (below).");
        form.below = "30".into();
        assert!(form.parse().unwrap_err().contains("must be lower"));
        form.below = "4,5".into();
        form.hysteresis = "1".into();
        assert_eq!(
            form.parse().unwrap(),
            Threshold {
                above: Some(28.0),
                below: Some(4.5),
                hysteresis: 1.0
            }
        );
    }
}
