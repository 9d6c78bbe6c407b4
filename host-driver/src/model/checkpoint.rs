//! Checkpoint import: NumPy `.npz` and `.safetensors` files into named float32 tensors,
//! plus `.npy` reading and writing for run-time tensors.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use bytes::Buf;
use half::{bf16, f16};
use npyz::{DType, TypeChar, WriterBuilder};

use crate::error::{Error, Result};

/// A dense float32 tensor in C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

impl Tensor {
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Tensor {
        assert_eq!(shape.iter().product::<usize>(), data.len());
        Tensor { shape, data }
    }

    /// Rows of a 2-D tensor.
    pub fn rows(&self) -> usize {
        self.shape[0]
    }

    /// Columns of a 2-D tensor.
    pub fn cols(&self) -> usize {
        self.shape[1]
    }

    pub fn row(&self, r: usize) -> &[f32] {
        let c = self.cols();
        &self.data[r * c..(r + 1) * c]
    }
}

/// All tensors of one checkpoint file, by name.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub path: PathBuf,
    pub tensors: BTreeMap<String, Tensor>,
}

impl Checkpoint {
    /// Loads `.npz` or `.safetensors` (chosen by extension).
    pub fn load(path: &Path) -> Result<Checkpoint> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let tensors = match ext.as_str() {
            "npz" => load_npz(path)?,
            "safetensors" => load_safetensors(path)?,
            _ => {
                return Err(Error::Checkpoint {
                    path: path.into(),
                    message: "unknown checkpoint type (expected .npz or .safetensors)".into(),
                })
            }
        };
        Ok(Checkpoint {
            path: path.into(),
            tensors,
        })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }

    /// A tensor by name; a clear error when missing.
    pub fn get(&self, name: &str) -> Result<&Tensor> {
        self.tensors.get(name).ok_or_else(|| Error::MissingTensor {
            path: self.path.clone(),
            name: name.into(),
            available: self.tensors.keys().cloned().collect(),
        })
    }

    /// A finite 2-D tensor with the given rows/columns (None = any).
    pub fn matrix(&self, name: &str, rows: Option<usize>, cols: Option<usize>) -> Result<&Tensor> {
        let t = self.get(name)?;
        let ok = t.shape.len() == 2
            && rows.into_iter().all(|r| t.shape[0] == r)
            && cols.into_iter().all(|c| t.shape[1] == c);
        if !ok {
            let dim = |d: Option<usize>| d.map_or("any".to_string(), |v| v.to_string());
            return Err(Error::TensorShape {
                path: self.path.clone(),
                name: name.into(),
                found: t.shape.clone(),
                expected: format!("[{}, {}]", dim(rows), dim(cols)),
            });
        }
        self.check_finite(name, t)?;
        Ok(t)
    }

    /// A finite 1-D tensor of the given length.
    pub fn vector(&self, name: &str, len: usize) -> Result<&Tensor> {
        let t = self.get(name)?;
        if t.shape != [len] {
            return Err(Error::TensorShape {
                path: self.path.clone(),
                name: name.into(),
                found: t.shape.clone(),
                expected: format!("[{len}]"),
            });
        }
        self.check_finite(name, t)?;
        Ok(t)
    }

    fn check_finite(&self, name: &str, t: &Tensor) -> Result<()> {
        match t.data.iter().position(|v| !v.is_finite()) {
            None => Ok(()),
            Some(index) => Err(Error::NonFinite {
                path: self.path.clone(),
                name: name.into(),
                index,
                value: t.data[index],
            }),
        }
    }
}

fn ckpt_err(path: &Path, message: impl Into<String>) -> Error {
    Error::Checkpoint {
        path: path.into(),
        message: message.into(),
    }
}

fn load_npz(path: &Path) -> Result<BTreeMap<String, Tensor>> {
    let mut archive = npyz::npz::NpzArchive::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::io(path, e)
        } else {
            ckpt_err(path, format!("not a readable .npz archive: {e}"))
        }
    })?;
    let names: Vec<String> = archive.array_names().map(str::to_string).collect();
    let mut out = BTreeMap::new();
    for name in names {
        let mut bytes = Vec::new();
        archive
            .zip_archive()
            .by_name(&npyz::npz::file_name_from_array_name(&name))
            .map_err(|e| ckpt_err(path, format!("array {name}: {e}")))?
            .read_to_end(&mut bytes)
            .map_err(|e| ckpt_err(path, format!("array {name}: {e}")))?;
        check_npy_header(&bytes).map_err(|m| ckpt_err(path, format!("array {name}: {m}")))?;
        let npy = npyz::NpyFile::new(&bytes[..])
            .map_err(|e| ckpt_err(path, format!("array {name}: {e}")))?;
        let tensor =
            npy_to_tensor(npy).map_err(|m| ckpt_err(path, format!("array {name}: {m}")))?;
        out.insert(name, tensor);
    }
    Ok(out)
}

/// Deepest bracket nesting accepted in an .npy header (numpy writes a flat dict holding
/// one shape tuple: depth 2).
const MAX_NPY_HEADER_NESTING: usize = 4;

/// Rejects .npy headers with deeply nested brackets before npyz parses them: its header
/// parser backtracks exponentially in the nesting depth, so a corrupt header such as
/// `{{{{{{...` would hang the import (found by fuzzing, see docs/verification.md).
fn check_npy_header(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 10 || !bytes.starts_with(b"\x93NUMPY") {
        return Ok(()); // npyz reports what is wrong
    }
    let mut length_field = &bytes[8..];
    let (len, start): (usize, usize) = if bytes[6] == 1 {
        (length_field.get_u16_le() as usize, 10)
    } else if bytes.len() >= 12 {
        (length_field.get_u32_le() as usize, 12)
    } else {
        return Ok(());
    };
    let header = &bytes[start..bytes.len().min(start.saturating_add(len))];
    let (mut depth, mut deepest) = (0usize, 0usize);
    for &b in header {
        match b {
            b'{' | b'[' | b'(' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_NPY_HEADER_NESTING {
        return Err(format!(
            "the .npy header nests brackets {deepest} deep (numpy writes 2)"
        ));
    }
    Ok(())
}

/// Converts an .npy array (f32 or f64, C or Fortran order, up to 2-D for Fortran) to a Tensor.
fn npy_to_tensor<R: std::io::Read>(npy: npyz::NpyFile<R>) -> Result<Tensor, String> {
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let fortran = npy.order() == npyz::Order::Fortran;
    let data: Vec<f32> = match npy.dtype() {
        DType::Plain(ts) if ts.type_char() == TypeChar::Float && ts.size_field() == 4 => {
            npy.into_vec::<f32>().map_err(|e| e.to_string())?
        }
        DType::Plain(ts) if ts.type_char() == TypeChar::Float && ts.size_field() == 8 => npy
            .into_vec::<f64>()
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|v| v as f32)
            .collect(),
        other => return Err(format!("dtype {other:?} is not float32 or float64")),
    };
    if data.len() != shape.iter().product::<usize>() {
        return Err("data length does not match the shape".into());
    }
    if fortran && shape.len() == 2 {
        let (r, c) = (shape[0], shape[1]);
        let mut t = vec![0f32; data.len()];
        for i in 0..r {
            for j in 0..c {
                t[i * c + j] = data[j * r + i];
            }
        }
        return Ok(Tensor::new(shape, t));
    }
    if fortran && shape.len() > 2 {
        return Err("Fortran-order arrays with more than 2 dimensions are not supported".into());
    }
    Ok(Tensor::new(shape, data))
}

fn load_safetensors(path: &Path) -> Result<BTreeMap<String, Tensor>> {
    use safetensors::Dtype;
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let st = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| ckpt_err(path, format!("not a readable .safetensors file: {e}")))?;
    let mut out = BTreeMap::new();
    for (name, view) in st.tensors() {
        let mut raw = view.data();
        let n = |size: usize| raw.len() / size;
        let data: Vec<f32> = match view.dtype() {
            Dtype::F32 => (0..n(4)).map(|_| raw.get_f32_le()).collect(),
            Dtype::F64 => (0..n(8)).map(|_| raw.get_f64_le() as f32).collect(),
            Dtype::F16 => (0..n(2))
                .map(|_| f16::from_bits(raw.get_u16_le()).to_f32())
                .collect(),
            Dtype::BF16 => (0..n(2))
                .map(|_| bf16::from_bits(raw.get_u16_le()).to_f32())
                .collect(),
            other => {
                return Err(ckpt_err(
                    path,
                    format!("tensor {name}: dtype {other:?} is not a float type"),
                ))
            }
        };
        out.insert(name, Tensor::new(view.shape().to_vec(), data));
    }
    Ok(out)
}

/// Reads a float32/float64 `.npy` file.
pub fn read_npy(path: &Path) -> Result<Tensor> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    check_npy_header(&bytes).map_err(|message| Error::Input {
        path: path.into(),
        message,
    })?;
    let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| Error::Input {
        path: path.into(),
        message: format!("not a readable .npy file: {e}"),
    })?;
    npy_to_tensor(npy).map_err(|message| Error::Input {
        path: path.into(),
        message,
    })
}

/// Writes a float32 `.npy` file.
pub fn write_npy(path: &Path, tensor: &Tensor) -> Result<()> {
    let shape: Vec<u64> = tensor.shape.iter().map(|&d| d as u64).collect();
    let mut buf = Vec::new();
    let mut write = || -> std::io::Result<()> {
        let mut w = npyz::WriteOptions::<f32>::new()
            .default_dtype()
            .shape(&shape)
            .writer(&mut buf)
            .begin_nd()?;
        w.extend(tensor.data.iter().copied())?;
        w.finish()
    };
    write().map_err(|e| Error::io(path, e))?;
    crew_spec::file::write_whole(path, &buf).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_converts() {
        let halves: [u16; 4] = [0x3C00, 0xC000, 0x0001, 0x7C00];
        let raw: Vec<u8> = halves.iter().flat_map(|h| h.to_le_bytes()).collect();
        let view =
            safetensors::tensor::TensorView::new(safetensors::Dtype::F16, vec![4], &raw).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.safetensors");
        safetensors::serialize_to_file([("h", view)], &None, &path).unwrap();
        let t = &load_safetensors(&path).unwrap()["h"];
        let f16_to_f32 = |k: usize| t.data[k];
        assert_eq!(f16_to_f32(0), 1.0);
        assert_eq!(f16_to_f32(1), -2.0);
        assert_eq!(f16_to_f32(2), 2f32.powi(-24));
        assert!(f16_to_f32(3).is_infinite());
    }
}
