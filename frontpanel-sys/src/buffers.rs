//! Little-endian packing helpers for pipe data (FrontPanel pipes move bytes; the
//! XEM7010 endpoints are 16 bits wide, least significant byte first).

/// Packs bytes into 16-bit words, low byte first. A trailing odd byte becomes the low
/// byte of a last word whose high byte is zero.
pub fn make_u16_buffer(data: &[u8]) -> Vec<u16> {
    data.chunks(2)
        .map(|pair| u16::from(pair[0]) | (u16::from(pair.get(1).copied().unwrap_or(0)) << 8))
        .collect()
}

/// Packs 16-bit words into 32-bit words, low half first. A trailing odd word becomes
/// the low half of a last word whose high half is zero.
pub fn make_u32_buffer(data: &[u16]) -> Vec<u32> {
    data.chunks(2)
        .map(|pair| u32::from(pair[0]) | (u32::from(pair.get(1).copied().unwrap_or(0)) << 16))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn u16_buffer_round_trips_through_le_bytes(words in proptest::collection::vec(any::<u16>(), 0..256)) {
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            prop_assert_eq!(make_u16_buffer(&bytes), words);
        }

        #[test]
        fn u32_buffer_round_trips_through_u16_halves(words in proptest::collection::vec(any::<u32>(), 0..256)) {
            let halves: Vec<u16> = words.iter().flat_map(|w| [*w as u16, (*w >> 16) as u16]).collect();
            prop_assert_eq!(make_u32_buffer(&halves), words.clone());
            // Both steps together equal reading the bytes as little-endian u32.
            let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            prop_assert_eq!(make_u32_buffer(&make_u16_buffer(&bytes)), words);
        }
    }

    #[test]
    fn odd_lengths_zero_extend_the_last_element() {
        assert_eq!(make_u16_buffer(&[0x34, 0x12, 0xAB]), vec![0x1234, 0x00AB]);
        assert_eq!(
            make_u32_buffer(&[0x5678, 0x1234, 0xBEEF]),
            vec![0x1234_5678, 0x0000_BEEF]
        );
        assert!(make_u16_buffer(&[]).is_empty());
    }
}
