//! Plain text tables for human output.

use std::fmt::Write as _;

/// Renders rows under a header, columns padded to their widest cell; the last column is not padded.
pub(crate) fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let last = row.len().saturating_sub(1);
        for (i, (cell, width)) in row.iter().zip(&widths).enumerate() {
            if i == last {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ");
            }
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn columns_are_aligned_to_the_widest_cell() {
        let rows = vec![
            vec!["payments".to_owned(), "charge".to_owned(), "x".to_owned()],
            vec!["p".to_owned(), "refund_all".to_owned(), "y".to_owned()],
        ];
        let text = super::render(&["SERVER", "TOOL", "REASON"], &rows);
        assert_eq!(
            text,
            "SERVER    TOOL        REASON\npayments  charge      x\np         refund_all  y\n"
        );
    }
}
