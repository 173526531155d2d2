/// A digest of new entries (the render cache's key): their keys, values and types, one
/// `ItemHasher` item each. Two lists of entries with the same digest are almost surely equal;
/// the cache still compares them in full.
enum EntryDigest {
  enum Marker: UInt8 {
    case nonString = 1, string, sequenceStart, mappingStart, sequenceEnd, mappingEnd
  }

  static func of(_ entries: [NewEntry]) -> Int {
    var hasher = ItemHasher()
    add(entries, to: &hasher)
    return hasher.finish()
  }

  static func add(_ entries: [NewEntry], to hasher: inout ItemHasher) {
    for entry in entries {
      add(entry.key, isString: true, to: &hasher)
      add(entry.value, to: &hasher)
    }
  }

  static func add(_ value: NewValue, to hasher: inout ItemHasher) {
    switch value {
    case .bool(let b): add(b ? "true" : "false", isString: false, to: &hasher)
    case .int(let i): add(String(i), isString: false, to: &hasher)
    case .string(let s): add(s, isString: true, to: &hasher)
    case .mapping(let entries):
      hasher.marker(Marker.mappingStart.rawValue)
      add(entries, to: &hasher)
      hasher.marker(Marker.mappingEnd.rawValue)
    case .sequence(let items):
      hasher.marker(Marker.sequenceStart.rawValue)
      for item in items { add(item, to: &hasher) }
      hasher.marker(Marker.sequenceEnd.rawValue)
    }
  }

  static func add(_ text: String, isString: Bool, to hasher: inout ItemHasher) {
    hasher.marker((isString ? Marker.string : .nonString).rawValue)
    var text = text
    text.withUTF8 { hasher.value($0) }
  }
}

/// A 64-bit hash of a sequence of items, markers and UTF-8 values, one 8-byte word at a time
/// (xxHash64's round and avalanche). Words of text never have 0xFF in their top byte (UTF-8 has
/// no such byte), markers and value lengths do: the sequence is read back unambiguously. Fast,
/// not cryptographic.
struct ItemHasher {
  private static let prime1: UInt64 = 0x9E37_79B1_85EB_CA87
  private static let prime2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
  private static let prime3: UInt64 = 0x1656_67B1_9E37_79F9
  private var state: UInt64 = 0x2545_F491_4F6C_DD1D

  @inline(__always) private mutating func round(_ word: UInt64) {
    let mixed = state &+ word &* ItemHasher.prime2
    state = ((mixed << 31) | (mixed >> 33)) &* ItemHasher.prime1
  }

  @inline(__always) mutating func marker(_ marker: UInt8) {
    round(0xFFFF_0000_0000_0000 | UInt64(marker))
  }

  /// UTF-8 text: its whole words, its last partial word, its length.
  @inline(__always) mutating func value(_ bytes: UnsafeBufferPointer<UInt8>) {
    let n = bytes.count
    if n > 0, let base = bytes.baseAddress {
      let raw = UnsafeRawPointer(base)
      var i = 0
      while i + 8 <= n {
        round(UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
        i += 8
      }
      var tail: UInt64 = 0
      var shift: UInt64 = 0
      while i < n {
        tail |= UInt64(base[i]) << shift
        shift += 8
        i += 1
      }
      round(tail)
    }
    round(0xFFFE_0000_0000_0000 | UInt64(n))
  }

  func finish() -> Int {
    var h = state
    h ^= h >> 33
    h = h &* ItemHasher.prime2
    h ^= h >> 29
    h = h &* ItemHasher.prime3
    h ^= h >> 32
    return Int(bitPattern: UInt(h))
  }
}
