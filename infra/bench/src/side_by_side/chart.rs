//! The memory sweep's chart (an SVG, drawn with `plotters`): warm p50 and p99 latency, and
//! the cost of a million invocations, against memory, for the subjects that hash or verify a
//! password and for get-user. The chosen size of each is ringed.

use std::path::Path;

use plotters::coord::combinators::BindKeyPoints;
use plotters::prelude::*;

/// One subject's line: its figures at each size.
pub(super) struct Line {
    pub(super) label: String,
    /// (memory MB, p50 ms, p99 ms, dollars per million invocations), by memory.
    pub(super) points: Vec<(u32, f64, f64, f64)>,
    pub(super) chosen: u32,
}

const COLORS: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x8c, 0x56, 0x4b),
];

/// Draws `lines` over `sizes` (MB) into `path`.
pub(super) fn draw(path: &Path, sizes: &[u32], lines: &[Line], title: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let root = SVGBackend::new(path, (1200, 520)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("chart {}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let root = root
        .titled(title, ("sans-serif", 18))
        .map_err(|e| err(&e))?;
    let (left, right) = root.split_horizontally(620);
    let x_range = || {
        let low = f64::from(*sizes.first().unwrap_or(&128)) * 0.9;
        let high = f64::from(*sizes.last().unwrap_or(&1769)) * 1.1;
        (low..high)
            .log_scale()
            .with_key_points(sizes.iter().map(|&s| f64::from(s)).collect::<Vec<_>>())
    };
    let all = lines.iter().flat_map(|l| &l.points);
    let (mut low_ms, mut high_ms, mut high_cost) = (f64::MAX, 0f64, 0f64);
    for &(_, p50, p99, cost) in all {
        low_ms = low_ms.min(p50);
        high_ms = high_ms.max(p99);
        high_cost = high_cost.max(cost);
    }
    if lines.is_empty() {
        (low_ms, high_ms, high_cost) = (1.0, 10.0, 1.0);
    }

    let mut latency = ChartBuilder::on(&left)
        .caption(
            "warm latency (ms, log scale): p50 solid, p99 dashed; chosen size ringed",
            ("sans-serif", 15),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(x_range(), ((low_ms * 0.7)..(high_ms * 1.4)).log_scale())
        .map_err(|e| err(&e))?;
    latency
        .configure_mesh()
        .x_desc("memory (MB)")
        .y_desc("ms")
        .x_label_formatter(&|mb| format!("{mb:.0}"))
        .y_label_formatter(&|ms| format!("{ms}"))
        .draw()
        .map_err(|e| err(&e))?;
    for (line, color) in lines.iter().zip(COLORS.iter().cycle()) {
        let p50: Vec<(f64, f64)> = line.points.iter().map(|p| (f64::from(p.0), p.1)).collect();
        let p99: Vec<(f64, f64)> = line.points.iter().map(|p| (f64::from(p.0), p.2)).collect();
        latency
            .draw_series(LineSeries::new(p50.clone(), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(line.label.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
        latency
            .draw_series(DashedLineSeries::new(p99, 6, 4, color.stroke_width(1)))
            .map_err(|e| err(&e))?;
        latency
            .draw_series(p50.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(|e| err(&e))?;
        let chosen = p50.iter().filter(|p| p.0 == f64::from(line.chosen));
        latency
            .draw_series(chosen.map(|&p| Circle::new(p, 8, color.stroke_width(2))))
            .map_err(|e| err(&e))?;
    }
    latency
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(|e| err(&e))?;

    let mut cost = ChartBuilder::on(&right)
        .caption(
            "cost of a million warm invocations ($, arm64)",
            ("sans-serif", 15),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(x_range(), 0f64..(high_cost * 1.15))
        .map_err(|e| err(&e))?;
    cost.configure_mesh()
        .x_desc("memory (MB)")
        .y_desc("$ per million")
        .x_label_formatter(&|mb| format!("{mb:.0}"))
        .y_label_formatter(&|d| format!("{d:.2}"))
        .draw()
        .map_err(|e| err(&e))?;
    for (line, color) in lines.iter().zip(COLORS.iter().cycle()) {
        let points: Vec<(f64, f64)> = line.points.iter().map(|p| (f64::from(p.0), p.3)).collect();
        cost.draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(|e| err(&e))?;
        cost.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))
            .map_err(|e| err(&e))?;
        let chosen = points.iter().filter(|p| p.0 == f64::from(line.chosen));
        cost.draw_series(chosen.map(|&p| Circle::new(p, 8, color.stroke_width(2))))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
