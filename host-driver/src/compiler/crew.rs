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
    /// CREW form of a row-major int8 matrix. Large matrices use all cores (columns are
    /// independent).
    pub fn from_int8(q: &[i8], n_out: usize, n_in: usize, width: IndexWidth) -> CrewMatrix {
        assert_eq!(q.len(), n_out * n_in);
        // Column-major copy (cache-blocked transpose) so each column is one contiguous run.
        const BLOCK: usize = 64;
        let mut qt = vec![0i8; n_out * n_in];
        for ob in (0..n_out).step_by(BLOCK) {
            for ib in (0..n_in).step_by(BLOCK) {
                for o in ob..(ob + BLOCK).min(n_out) {
                    let row = &q[o * n_in..(o + 1) * n_in];
                    for i in ib..(ib + BLOCK).min(n_in) {
                        qt[i * n_out + o] = row[i];
                    }
                }
            }
        }
        let threads = if n_out * n_in >= 1 << 20 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            1
        };
        let per_thread = n_in.div_ceil(threads).max(1);
        let mut columns: Vec<Column> = Vec::with_capacity(n_in);
        std::thread::scope(|scope| {
            let handles: Vec<_> = qt
                .chunks(per_thread * n_out.max(1))
                .map(|chunk| {
                    scope.spawn(move || {
                        chunk
                            .chunks(n_out.max(1))
                            .map(|col| column_of(&col[..n_out.min(col.len())]))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                columns.extend(h.join().expect("column worker panicked"));
            }
        });
        // n_out = 0: no data to chunk; every column is a one-entry table.
        columns.resize_with(n_in, || column_of(&[]));
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

    /// The column records, contiguous, as image words. The table part comes from
    /// `image::encode_record` itself; the index part is packed here word-at-a-time with the
    /// same bit order (tests compare both against `encode_record`).
    pub fn records(&self) -> Vec<u128> {
        let mut words = Vec::with_capacity(self.records_words());
        for c in &self.columns {
            words.extend(image::encode_record(&c.table, self.wide, c.bits, &[]));
            let start = words.len();
            words.resize(start + image::index_part_words(self.n_out, c.bits), 0);
            pack_indices(&mut words[start..], &c.indices, c.bits);
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

/// One column's sorted table of unique values and its indices.
fn column_of(values: &[i8]) -> Column {
    let mut present = [false; 256];
    for &v in values {
        present[(v as u8 ^ 0x80) as usize] = true;
    }
    let mut lookup = [0u8; 256];
    let mut table = Vec::new();
    for (code, _) in present.iter().enumerate().filter(|(_, &p)| p) {
        lookup[code] = table.len() as u8;
        table.push((code as u8 ^ 0x80) as i8 as i16);
    }
    if table.is_empty() {
        // Only for n_out = 0: keep the record valid.
        table.push(0);
    }
    Column {
        bits: image::index_bits(table.len()),
        indices: values
            .iter()
            .map(|&v| lookup[(v as u8 ^ 0x80) as usize])
            .collect(),
        table,
    }
}

/// Packs `indices` of `bits` bits as one little-endian bit stream into `words` (zeroed).
fn pack_indices(words: &mut [u128], indices: &[u8], bits: u8) {
    if bits == 0 {
        return;
    }
    let bits = bits as usize;
    for (o, &idx) in indices.iter().enumerate() {
        let b = o * bits;
        let (w, s) = (b / 128, b % 128);
        words[w] |= (idx as u128) << s;
        if s + bits > 128 {
            words[w + 1] |= (idx as u128) >> (128 - s);
        }
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
