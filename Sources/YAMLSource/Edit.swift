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
    var out: [UInt8] = []
    out.reserveCapacity(range.count + ordered.reduce(0) { $0 + $1.replacement.count })
    var cursor = range.lowerBound
    for edit in ordered {
      let lower = min(max(edit.range.lowerBound, cursor), range.upperBound)
      out.append(contentsOf: bytes[cursor..<lower])
      out.append(contentsOf: edit.replacement)
      cursor = max(cursor, min(edit.range.upperBound, range.upperBound))
    }
    out.append(contentsOf: bytes[cursor..<range.upperBound])
    return out
  }

  /// The size of `count` bytes once `ordered` (from `sorted()`) is applied to them.
  public static func outputCount(of ordered: [Edit], sourceCount count: Int) -> Int {
    var total = count
    for edit in ordered {
      let range = edit.range.clamped(to: 0..<count)
      total += edit.replacement.count - range.count
    }
    return total
  }

  /// Applies `ordered` (from `sorted()`) to `source`, writing the result to `destination`, which
  /// holds `outputCount(of:sourceCount:)` bytes: lets parts of a large file be written in place
  /// of one shared output buffer, in parallel.
  public static func write(_ ordered: [Edit], source: UnsafeBufferPointer<UInt8>, to destination: UnsafeMutableRawPointer) {
    var out = destination
    var cursor = 0
    func copy(_ from: Int, _ to: Int) {
      guard to > from, let base = source.baseAddress else { return }
      out.copyMemory(from: base + from, byteCount: to - from)
      out += to - from
    }
    for edit in ordered {
      let lower = min(max(edit.range.lowerBound, cursor), source.count)
      copy(cursor, lower)
      edit.replacement.withUnsafeBytes { replacement in
        if let base = replacement.baseAddress, !replacement.isEmpty {
          out.copyMemory(from: base, byteCount: replacement.count)
          out += replacement.count
        }
      }
      cursor = max(cursor, min(edit.range.upperBound, source.count))
    }
    copy(cursor, source.count)
  }
}
