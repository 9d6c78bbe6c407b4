//! The CREW transform: a quantized matrix as, per input column i, the sorted table U_i of
//! its unique values and the per-output indices into it, and its encoding as the column
//! records of `crew_spec::image` (through `crew_spec::image::encode_record`, so the bit
//! order has one definition).

use crew_spec::image::{self, ImageError};

use crate::model::IndexWidth;

/// One input column: table of unique values (ascending), index width, one index per output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub table: Vec<i16>,
    pub bits: u8,
    pub indices: Vec<u8>,
}

/// A matrix (n_out x n_in) in CREW form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrewMatrix {
    pub n_out: usize,
    pub n_in: usize,
    /// Table entries are int16 (else int8).
    pub wide: bool,
    pub columns: Vec<Column>,
}

impl CrewMatrix {
    /// CREW form of a row-major int8 matrix.
    pub fn from_int8(q: &[i8], n_out: usize, n_in: usize, width: IndexWidth) -> CrewMatrix {
        assert_eq!(q.len(), n_out * n_in);
        // Pass 1: which of the 256 values occur in each column.
        let mut present = vec![false; n_in * 256];
        for row in q.chunks_exact(n_in.max(1)).take(n_out) {
            for (i, &v) in row.iter().enumerate() {
                present[i * 256 + (v as u8 ^ 0x80) as usize] = true;
            }
        }
        // Tables in ascending order and the value -> index map per column.
        let mut lookup = vec![0u8; n_in * 256];
        let mut columns: Vec<Column> = (0..n_in)
            .map(|i| {
                let mut table = Vec::new();
                for code in 0..256usize {
                    if present[i * 256 + code] {
                        lookup[i * 256 + code] = table.len() as u8;
                        table.push((code as u8 ^ 0x80) as i8 as i16);
                    }
                }
                if table.is_empty() {
                    // Only when n_out = 0: keep the record valid.
                    table.push(0);
                }
                Column {
                    bits: image::index_bits(table.len()),
                    table,
                    indices: vec![0; n_out],
                }
            })
            .collect();
        // Pass 2: indices, by row for cache-friendly reads of q.
        for (o, row) in q.chunks_exact(n_in.max(1)).take(n_out).enumerate() {
            for (i, &v) in row.iter().enumerate() {
                columns[i].indices[o] = lookup[i * 256 + (v as u8 ^ 0x80) as usize];
            }
        }
        let mut m = CrewMatrix {
            n_out,
            n_in,
            wide: false,
            columns,
        };
        m.apply_width(width);
        m
    }

    /// Widens every column's index to the pass maximum when `width` is per-layer.
    pub fn apply_width(&mut self, width: IndexWidth) {
        if width == IndexWidth::PerLayer {
            let max = self.columns.iter().map(|c| c.bits).max().unwrap_or(0);
            for c in &mut self.columns {
                c.bits = max;
            }
        }
    }

    /// Row-major dense matrix of table values (what the indices select).
    pub fn dense(&self) -> Vec<i16> {
        let mut out = vec![0i16; self.n_out * self.n_in];
        for (i, c) in self.columns.iter().enumerate() {
            for (o, &k) in c.indices.iter().enumerate() {
                out[o * self.n_in + i] = c.table[k as usize];
            }
        }
        out
    }

    /// The column records, contiguous, as image words.
    pub fn records(&self) -> Vec<u128> {
        let mut words = Vec::with_capacity(self.records_words());
        let mut idx16 = vec![0u16; self.n_out];
        for c in &self.columns {
            for (d, &s) in idx16.iter_mut().zip(&c.indices) {
                *d = s as u16;
            }
            words.extend(image::encode_record(&c.table, self.wide, c.bits, &idx16));
        }
        words
    }

    /// Words [`Self::records`] produces.
    pub fn records_words(&self) -> usize {
        self.columns
            .iter()
            .map(|c| {
                image::table_part_words(c.table.len(), self.wide)
                    + image::index_part_words(self.n_out, c.bits)
            })
            .sum()
    }

    /// Decodes `n_in` contiguous records (the inverse of [`Self::records`]).
    /// Returns the matrix and the words consumed.
    pub fn decode(
        words: &[u128],
        wide: bool,
        n_in: usize,
        n_out: usize,
    ) -> Result<(CrewMatrix, usize), ImageError> {
        let mut at = 0;
        let mut columns = Vec::with_capacity(n_in);
        for _ in 0..n_in {
            // A record running past the words given is reported as a bad header.
            let (unique, bits) = image::record_header(*words.get(at).unwrap_or(&u128::MAX))?;
            let need = image::table_part_words(unique, wide) + image::index_part_words(n_out, bits);
            if at + need > words.len() {
                return Err(ImageError::BadRecordHeader { unique, bits });
            }
            let (table, bits, indices, used) = image::decode_record(&words[at..], wide, n_out)?;
            at += used;
            columns.push(Column {
                table,
                bits,
                indices: indices.into_iter().map(|v| v as u8).collect(),
            });
        }
        Ok((
            CrewMatrix {
                n_out,
                n_in,
                wide,
                columns,
            },
            at,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_unique_values() {
        let q: Vec<i8> = vec![3, -128, 3, 127, -1, 0];
        let m = CrewMatrix::from_int8(&q, 3, 2, IndexWidth::PerColumn);
        assert_eq!(m.columns[0].table, vec![-1, 3]);
        assert_eq!(m.columns[1].table, vec![-128, 0, 127]);
        assert_eq!(m.columns[1].bits, 2);
        assert_eq!(m.dense(), q.iter().map(|&v| v as i16).collect::<Vec<_>>());
    }
}
