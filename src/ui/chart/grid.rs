//! Where the chart's grid lines and labels go: steps people read. Values step
//! by 1, 2 or 5 times a power of ten (egui_plot's default steps by powers of
//! ten only, so 20–30 °C in a short chart had one label); time steps by
//! whole seconds, minutes and hours (1 min, 5 min, 15 min, 1 h…), never by
//! 100 or 1,000 s.

use egui_plot::{GridInput, GridMark};

/// Steps for time, in seconds: each one a step a clock reads.
const TIME_STEPS: &[f64] = &[
    1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0, 7200.0, 10800.0, 21600.0,
    43200.0, 86400.0, 172_800.0, 604_800.0,
];

/// Grid marks for the value axis.
pub(super) fn value_marks(input: GridInput) -> Vec<GridMark> {
    marks(
        input.bounds,
        nested(input.base_step_size, &value_ladder(input.base_step_size)),
    )
}

/// Grid marks for the time axis (unix seconds). Under a second, values' steps.
pub(super) fn time_marks(input: GridInput) -> Vec<GridMark> {
    let base = input.base_step_size;
    let steps = if base < 1.0 {
        nested(base, &value_ladder(base))
    } else {
        let mut ladder = TIME_STEPS.to_vec();
        // Past a week: weeks, then values' steps in weeks' multiples.
        let mut week = 604_800.0 * 2.0;
        while week < base * 100.0 {
            ladder.push(week);
            week *= 2.0;
        }
        nested(base, &ladder)
    };
    marks(input.bounds, steps)
}

/// 1, 2 and 5 times the powers of ten around `base`.
fn value_ladder(base: f64) -> Vec<f64> {
    if !(base.is_finite() && base > 0.0) {
        return Vec::new();
    }
    let start = base.log10().floor() as i32 - 1;
    (start..start + 5)
        .flat_map(|e| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(e)))
        .collect()
}

/// Three steps from `ladder`: the first at least `base`, then the next each
/// of which the one before divides (so a line's strength is its coarsest step).
fn nested(base: f64, ladder: &[f64]) -> [f64; 3] {
    let divides = |small: f64, big: f64| {
        let q = big / small;
        (q - q.round()).abs() < 1e-9
    };
    let Some(&fine) = ladder.iter().find(|&&s| s >= base) else {
        return [0.0; 3];
    };
    let middle = ladder
        .iter()
        .copied()
        .find(|&s| s > fine && divides(fine, s))
        .unwrap_or(fine * 10.0);
    let coarse = ladder
        .iter()
        .copied()
        .find(|&s| s > middle && divides(middle, s))
        .unwrap_or(middle * 10.0);
    [fine, middle, coarse]
}

/// Each multiple of the steps within `bounds`, with the largest step it is a
/// multiple of (what egui_plot uses for the line's strength and its label).
fn marks((min, max): (f64, f64), steps: [f64; 3]) -> Vec<GridMark> {
    let [fine, middle, coarse] = steps;
    if !(fine > 0.0 && min.is_finite() && max.is_finite()) || (max - min) / fine > 10_000.0 {
        return Vec::new();
    }
    let on = |value: f64, step: f64| {
        let q = value / step;
        (q - q.round()).abs() < 1e-6
    };
    let first = (min / fine).ceil() as i64;
    let last = (max / fine).floor() as i64;
    // 3 × 0.1 is 0.30000000000000004: round to the step's own decimals.
    let scale = 10f64.powi((-fine.log10().floor()).max(0.0) as i32 + 1);
    (first..=last)
        .map(|i| {
            let value = (i as f64 * fine * scale).round() / scale;
            let step_size = if on(value, coarse) {
                coarse
            } else if on(value, middle) {
                middle
            } else {
                fine
            };
            GridMark { value, step_size }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(marks: &[GridMark], step: f64) -> Vec<f64> {
        marks.iter().filter(|m| m.step_size >= step).map(|m| m.value).collect()
    }

    #[test]
    fn values_step_by_one_two_or_five() {
        // 20–30 over ~190 px (20 px a degree; egui_plot asks for lines 8 px
        // apart and labels more than 20 px apart): lines every 0.5, labels
        // every 2 (the powers of ten labelled 30 alone).
        let marks = value_marks(GridInput {
            bounds: (20.3, 29.7),
            base_step_size: 0.4,
        });
        assert_eq!(labelled(&marks, 2.0), [22.0, 24.0, 26.0, 28.0]);
        assert_eq!(
            labelled(&marks, 1.0),
            [21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0]
        );
        assert_eq!(marks.first().map(|m| m.value), Some(20.5));
        // Tenths are written as tenths.
        let tenths = value_marks(GridInput {
            bounds: (0.0, 1.0),
            base_step_size: 0.08,
        });
        assert!(tenths.iter().any(|m| m.value == 0.3), "{tenths:?}");
        // Watts: steps of 20, 100, 200.
        assert_eq!(nested(13.0, &value_ladder(13.0)), [20.0, 100.0, 200.0]);
        assert_eq!(nested(0.03, &value_ladder(0.03)), [0.05, 0.1, 0.2]);
    }

    #[test]
    fn time_steps_by_what_a_clock_reads() {
        // An hour over ~500 px (lines at least 8 px apart: 58 s): every
        // minute, stronger every 2, strongest every 10 (not 100 or 1,000 s).
        assert_eq!(nested(58.0, TIME_STEPS), [60.0, 120.0, 600.0]);
        assert_eq!(nested(250.0, TIME_STEPS), [300.0, 600.0, 1800.0]);
        assert_eq!(nested(1.2, TIME_STEPS), [2.0, 10.0, 30.0]);
        let t0 = 1_764_518_400.0; // a whole hour
        let marks = time_marks(GridInput {
            bounds: (t0 - 3600.0, t0 + 1.0),
            base_step_size: 250.0,
        });
        assert_eq!(labelled(&marks, 1800.0), [t0 - 3600.0, t0 - 1800.0, t0]);
        assert!(marks.iter().all(|m| m.value % 300.0 == 0.0));
        assert_eq!(marks.len(), 13);
    }

    #[test]
    fn nothing_odd_for_odd_input() {
        assert!(
            value_marks(GridInput {
                bounds: (0.0, 1.0),
                base_step_size: 0.0
            })
            .is_empty()
        );
        assert!(
            value_marks(GridInput {
                bounds: (f64::NAN, 1.0),
                base_step_size: 0.1
            })
            .is_empty()
        );
        assert!(
            time_marks(GridInput {
                bounds: (0.0, 1e12),
                base_step_size: 1e-9
            })
            .is_empty()
        );
    }
}
