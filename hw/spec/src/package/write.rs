//! Serializing a package: header, section table (each section's CRC32), the header CRC,
//! then the sections on 16-byte boundaries.

use super::{
    header_crc, Package, SectionId, HEADER_BYTES, PACKAGE_FORMAT_VERSION, PACKAGE_MAGIC,
    SECTION_ALIGN, SECTION_ENTRY_BYTES,
};
use crate::image::{IMAGE_FORMAT_VERSION, WORD_BYTES};
use bytes::BufMut;

impl Package {
    /// Serializes the package. Panics if the image length is not whole words (a compiler bug).
    pub fn to_bytes(&self) -> Vec<u8> {
        assert!(
            self.image.len().is_multiple_of(WORD_BYTES),
            "image is not whole words"
        );
        let layers: Vec<u8> = self.layers.iter().flat_map(|l| l.to_bytes()).collect();
        let sections: [(SectionId, &[u8]); 3] = [
            (SectionId::Model, self.model.as_bytes()),
            (SectionId::Layers, &layers),
            (SectionId::Image, &self.image),
        ];
        let table_end = HEADER_BYTES + SECTION_ENTRY_BYTES * sections.len();
        let mut offset = table_end.next_multiple_of(SECTION_ALIGN);
        let mut out = Vec::new();
        out.put_slice(&PACKAGE_MAGIC);
        out.put_u16_le(PACKAGE_FORMAT_VERSION);
        out.put_u16_le(IMAGE_FORMAT_VERSION);
        out.put_u16_le(sections.len() as u16);
        out.put_u16_le(0);
        out.put_u32_le(self.load_addr);
        out.put_u32_le(0); // header CRC, filled in below
        let mut offsets = Vec::new();
        for (id, data) in &sections {
            out.put_u16_le(*id as u16);
            out.put_u16_le(0);
            out.put_u32_le(crc32fast::hash(data));
            out.put_u64_le(offset as u64);
            out.put_u64_le(data.len() as u64);
            offsets.push(offset);
            offset = (offset + data.len()).next_multiple_of(SECTION_ALIGN);
        }
        let crc = header_crc(&out);
        (&mut out[20..24]).put_u32_le(crc);
        for ((_, data), off) in sections.iter().zip(offsets) {
            out.resize(off, 0);
            out.extend_from_slice(data);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::small_package;
    use super::*;

    #[test]
    fn package_round_trips() {
        let p = small_package();
        let bytes = p.to_bytes();
        assert_eq!(Package::from_bytes(&bytes).unwrap(), p);
        assert_eq!(p.descriptor(0).unwrap().passes[0].n_out, 5);
    }
}
