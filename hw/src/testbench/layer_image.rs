//! Builds the DRAM image of one quantized layer (`crew_spec::image` format) from dense
//! integer matrices: per column, the sorted unique values become the table and the
//! indices point into it. A minimal stand-in for the compiler, used by the engine tests and
//! the benchmark to place layers in the simulated DRAM.

use crew_spec::image::{
    encode_dense_column, encode_record, index_bits, vector_words_i8, EpilogueRow, LayerDescriptor,
    LayerKind, LAYER_DESC_WORDS,
};
use crew_spec::layout::{ImageBuilder, LayerHeader, PassWords};

/// One pass: a rows x cols matrix (row-major, int8 or int16 values) and its epilogue rows.
#[derive(Clone, Debug)]
pub struct PassMatrix {
    pub rows: usize,
    pub cols: usize,
    pub weights: Vec<i16>,
    pub epilogue: Vec<EpilogueRow>,
}

impl PassMatrix {
    pub fn weight(&self, row: usize, col: usize) -> i16 {
        self.weights[row * self.cols + col]
    }
}

/// A layer image placed at word address `base`.
#[derive(Clone, Debug)]
pub struct LayerImage {
    pub base: u32,
    pub words: Vec<u128>,
    pub desc_addr: u32,
    /// Unique values per column, per pass (for statistics).
    pub unique: Vec<Vec<usize>>,
}

impl LayerImage {
    /// Words of column records (tables + indices) summed over passes.
    pub fn record_words(&self) -> usize {
        let d = LayerDescriptor::from_words(
            &self.words[(self.desc_addr - self.base) as usize..][..LAYER_DESC_WORDS],
        )
        .expect("own descriptor");
        d.passes.iter().map(|p| p.records_words as usize).sum()
    }
}

/// Lays out the layer from `base` (`crew_spec::layout::ImageBuilder`) with CREW records:
/// per column, the sorted unique values are the table and the indices point into it.
pub fn build_layer(
    kind: LayerKind,
    wide_entries: bool,
    n_in: usize,
    n_hidden: usize,
    passes: &[PassMatrix],
    base: u32,
) -> LayerImage {
    let (encoded, unique): (Vec<_>, Vec<_>) =
        passes.iter().map(|p| crew_pass(p, wide_entries)).unzip();
    let header = layer_header(kind, wide_entries, false, n_in, n_hidden);
    place(header, &encoded, base, unique)
}

/// Lays out the dense baseline image of the same layer (`crew_spec::image` dense column
/// records, layer flag `FLAG_DENSE`) from `base`. Weights must be int8.
pub fn build_dense_layer(
    kind: LayerKind,
    n_in: usize,
    n_hidden: usize,
    passes: &[PassMatrix],
    base: u32,
) -> LayerImage {
    let (encoded, unique): (Vec<_>, Vec<_>) = passes.iter().map(dense_pass).unzip();
    let header = layer_header(kind, false, true, n_in, n_hidden);
    place(header, &encoded, base, unique)
}

/// Lays out the token-input form of a layer fed by `embedding` (V rows of n_in int8 values,
/// `crew_spec::image` "Token-input layers"): the x pass (`passes[0]`) folded into V blocks
/// of epilogue rows whose bias is `b[o] + sum_i W[o, i] * embedding[v][i]`, computed here
/// directly from the matrix; the other passes as CREW records, or dense ones (`dense`).
pub fn build_token_layer(
    kind: LayerKind,
    wide_entries: bool,
    dense: bool,
    embedding: &[Vec<i8>],
    n_hidden: usize,
    passes: &[PassMatrix],
    base: u32,
) -> LayerImage {
    let x = &passes[0];
    let mut folded = Vec::with_capacity(embedding.len() * x.rows);
    for row in embedding {
        assert_eq!(row.len(), x.cols, "embedding width = the x pass's columns");
        for o in 0..x.rows {
            let e = x.epilogue[o];
            let sum: i64 = e.bias as i64
                + (0..x.cols)
                    .map(|i| x.weight(o, i) as i64 * row[i] as i64)
                    .sum::<i64>();
            folded.push(
                EpilogueRow {
                    bias: i32::try_from(sum).expect("folded accumulator fits int32"),
                    ..e
                }
                .to_word(),
            );
        }
    }
    let mut encoded = vec![PassWords {
        n_in: 0,
        n_out: x.rows as u16,
        records: vec![],
        epilogue: folded,
    }];
    let mut unique = vec![vec![]];
    for p in &passes[1..] {
        let (words, u) = if dense {
            dense_pass(p)
        } else {
            crew_pass(p, wide_entries)
        };
        encoded.push(words);
        unique.push(u);
    }
    let mut header = layer_header(kind, wide_entries, dense, embedding.len(), n_hidden);
    header.token_input = true;
    place(header, &encoded, base, unique)
}

/// One pass as CREW records, and its unique values per column.
fn crew_pass(p: &PassMatrix, wide_entries: bool) -> (PassWords, Vec<usize>) {
    let mut col_unique = vec![];
    let mut records = vec![];
    for c in 0..p.cols {
        let column: Vec<i16> = (0..p.rows).map(|r| p.weight(r, c)).collect();
        let mut table = column.clone();
        table.sort_unstable();
        table.dedup();
        let bits = index_bits(table.len());
        let indices: Vec<u16> = column
            .iter()
            .map(|v| table.binary_search(v).unwrap() as u16)
            .collect();
        col_unique.push(table.len());
        records.extend(encode_record(&table, wide_entries, bits, &indices));
    }
    (pass_words(p, records), col_unique)
}

/// One pass as dense int8 columns, and its unique values per column.
fn dense_pass(p: &PassMatrix) -> (PassWords, Vec<usize>) {
    let mut col_unique = vec![];
    let records = (0..p.cols)
        .flat_map(|c| {
            let column: Vec<i8> = (0..p.rows)
                .map(|r| i8::try_from(p.weight(r, c)).expect("dense weights are int8"))
                .collect();
            let mut values = column.clone();
            values.sort_unstable();
            values.dedup();
            col_unique.push(values.len());
            encode_dense_column(&column)
        })
        .collect();
    (pass_words(p, records), col_unique)
}

fn pass_words(p: &PassMatrix, records: Vec<u128>) -> PassWords {
    PassWords {
        n_in: p.cols as u16,
        n_out: p.rows as u16,
        records,
        epilogue: p.epilogue.iter().map(|r| r.to_word()).collect(),
    }
}

fn layer_header(
    kind: LayerKind,
    wide_entries: bool,
    dense: bool,
    n_in: usize,
    n_hidden: usize,
) -> LayerHeader {
    LayerHeader {
        kind,
        wide_entries,
        dense,
        token_input: false,
        n_in: n_in as u16,
        n_hidden: n_hidden as u16,
    }
}

fn place(
    header: LayerHeader,
    passes: &[PassWords],
    base: u32,
    unique: Vec<Vec<usize>>,
) -> LayerImage {
    let mut image = ImageBuilder::new(base);
    let desc_addr = image
        .push_layer(header, passes)
        .expect("test layers fit in DRAM");
    LayerImage {
        base,
        words: image.into_words(),
        desc_addr,
        unique,
    }
}

/// Packs int8 vectors (one per step) as consecutive run-time input vectors.
pub fn pack_i8_vectors(vectors: &[Vec<i8>]) -> Vec<u128> {
    let mut out = vec![];
    for v in vectors {
        let mut bytes: Vec<u8> = v.iter().map(|&x| x as u8).collect();
        bytes.resize(vector_words_i8(v.len()) * 16, 0);
        out.extend(
            bytes
                .chunks(16)
                .map(|c| u128::from_le_bytes(c.try_into().unwrap())),
        );
    }
    out
}

/// Unpacks `n` int8 values from words.
pub fn unpack_i8(words: &[u128], n: usize) -> Vec<i8> {
    words
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .take(n)
        .map(|b| b as i8)
        .collect()
}

/// Packs int32 values, 4 per word.
pub fn pack_i32(values: &[i32]) -> Vec<u128> {
    values
        .chunks(4)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u128, |w, (k, &v)| w | (v as u32 as u128) << (32 * k))
        })
        .collect()
}

/// Unpacks `n` int32 values from words.
pub fn unpack_i32(words: &[u128], n: usize) -> Vec<i32> {
    (0..n)
        .map(|k| (words[k / 4] >> (32 * (k % 4))) as u32 as i32)
        .collect()
}
