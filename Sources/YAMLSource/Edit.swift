/// A change to a buffer: replace the bytes in `range` of the original with `replacement`.
/// An insertion has an empty range; a deletion an empty replacement.
public struct Edit: Sendable, Hashable, Codable {
  /// Byte range of the original buffer.
  public var range: Range<Int>
  /// UTF-8 bytes written in place of the range.
  public var replacement: [UInt8]
  /// Orders insertions at the same offset: lower first.
  public var order: Int

  public init(range: Range<Int>, replacement: [UInt8], order: Int = 0) {
    self.range = range
    self.replacement = replacement
    self.order = order
  }

  public init(range: Range<Int>, replacement: String, order: Int = 0) {
    self.init(range: range, replacement: Array(replacement.utf8), order: order)
  }

  public static func insert(_ text: String, at offset: Int, order: Int = 0) -> Edit {
    Edit(range: offset..<offset, replacement: text, order: order)
  }

  public static func replace(_ range: Range<Int>, with text: String) -> Edit {
    Edit(range: range, replacement: text)
  }

  public static func delete(_ range: Range<Int>) -> Edit { Edit(range: range, replacement: []) }

  /// The replacement as a string.
  public var text: String { String(decoding: replacement, as: UTF8.self) }

  var sortKey: (Int, Int, Int) { (range.lowerBound, range.upperBound, order) }
}

/// Two edits touch the same bytes.
public struct OverlappingEditsError: Error, Sendable, CustomStringConvertible {
  public let first: Edit
  public let second: Edit
  public var description: String {
    "edits overlap: \(first.range) and \(second.range); refusing to merge them"
  }
}

/// A set of edits to one buffer, applied in a single pass that copies untouched bytes verbatim.
public struct EditSet: Sendable {
  public private(set) var edits: [Edit]

  public init(_ edits: [Edit] = []) { self.edits = edits }

  public mutating func append(_ edit: Edit) { edits.append(edit) }
  public mutating func append(contentsOf more: [Edit]) { edits.append(contentsOf: more) }
  public var isEmpty: Bool { edits.isEmpty }

  /// The edits in application order; throws if two of them overlap.
  ///
  /// Insertions at the same offset are allowed and kept in `order`; an insertion at the end of a
  /// replaced range comes after the replacement. Two ranges that share a byte are refused.
  public func sorted() throws(OverlappingEditsError) -> [Edit] {
    let sorted = edits.sorted { $0.sortKey < $1.sortKey }
    var previous: Edit?
    for edit in sorted {
      if let p = previous {
        let overlap = edit.range.lowerBound < p.range.upperBound
        let sameInsertion = p.range.isEmpty && edit.range.isEmpty && p.range.lowerBound == edit.range.lowerBound
        let insertionInsideReplacement =
          !p.range.isEmpty && edit.range.isEmpty && edit.range.lowerBound == p.range.lowerBound
        if (overlap && !sameInsertion) || insertionInsideReplacement {
          throw OverlappingEditsError(first: p, second: edit)
        }
      }
      previous = edit
    }
    return sorted
  }

  /// Applies the edits to `bytes`.
  public func apply(to bytes: [UInt8]) throws(OverlappingEditsError) -> [UInt8] {
    EditSet.applying(try sorted(), to: bytes)
  }

  /// `bytes[range]` (all of `bytes` when nil) with `ordered` (from `sorted()`, all inside
  /// `range`) applied.
  public static func applying(_ ordered: [Edit], to bytes: [UInt8], in range: Range<Int>? = nil) -> [UInt8] {
    let range = range ?? 0..<bytes.count
    let count = outputCount(of: ordered, sourceCount: range.count, offset: range.lowerBound)
    return bytes.withUnsafeBufferPointer { all in
      [UInt8](unsafeUninitializedCapacity: count) { out, written in
        written = write(
          ordered, source: UnsafeBufferPointer(rebasing: all[range]), offset: range.lowerBound, to: UnsafeMutableRawBufferPointer(out))
      }
    }
  }

  /// The size of `count` source bytes once `ordered` (from `sorted()`) is applied to them; edit
  /// offsets are `offset` more than source offsets.
  public static func outputCount(of ordered: [Edit], sourceCount count: Int, offset: Int = 0) -> Int {
    var total = count
    for edit in ordered {
      let range = (edit.range.lowerBound - offset..<edit.range.upperBound - offset).clamped(to: 0..<count)
      total += edit.replacement.count - range.count
    }
    return total
  }

  /// Applies `ordered` (from `sorted()`) to `source`, whose first byte is at `offset` in the
  /// edits' coordinates, writing the result to `destination` (at least
  /// `outputCount(of:sourceCount:offset:)` bytes); returns the number of bytes written. The one
  /// loop behind `applying` and the parts of a large file written in parallel into one buffer.
  @discardableResult
  public static func write(
    _ ordered: [Edit], source: UnsafeBufferPointer<UInt8>, offset: Int = 0, to destination: UnsafeMutableRawBufferPointer
  ) -> Int {
    var written = 0
    func copy(_ bytes: UnsafeRawBufferPointer) {
      guard !bytes.isEmpty else { return }
      precondition(written + bytes.count <= destination.count, "the edits do not fit their output: not from sorted()")
      guard let from = bytes.baseAddress, let to = destination.baseAddress else { return }
      (to + written).copyMemory(from: from, byteCount: bytes.count)
      written += bytes.count
    }
    var cursor = 0
    for edit in ordered {
      let lower = min(max(edit.range.lowerBound - offset, cursor), source.count)
      copy(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: source[cursor..<lower])))
      edit.replacement.withUnsafeBytes { copy($0) }
      cursor = max(cursor, min(edit.range.upperBound - offset, source.count))
    }
    copy(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: source[cursor...])))
    return written
  }
}
