#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The bytes of one YAML file, exactly as read, plus facts about them that every layer needs.
///
/// Offsets everywhere in kubeharden are UTF-8 byte offsets into `bytes`. Lines and columns are
/// 1-based; columns count Unicode scalars (as libyaml does), and a leading BOM is not counted.
public struct SourceBuffer: Sendable {
  /// The file's bytes, untouched (including a BOM).
  public let bytes: [UInt8]

  public init(_ bytes: [UInt8]) { self.bytes = bytes }
  public init(_ string: String) { self.bytes = Array(string.utf8) }

  public var count: Int { bytes.count }

  /// Whether the file starts with a UTF-8 byte order mark.
  public var hasBOM: Bool {
    bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
  }

  /// Whether the last byte is a line break (or the file is empty).
  public var endsWithLineBreak: Bool {
    guard let last = bytes.last else { return true }
    return last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r")
  }

  /// The line break most used in the file (LF when there is none).
  public var dominantLineBreak: LineBreak {
    var lf = 0
    var crlf = 0
    var index = 0
    let n = bytes.count
    while index < n && lf + crlf < 64 {
      if bytes[index] == UInt8(ascii: "\n") {
        if index > 0 && bytes[index - 1] == UInt8(ascii: "\r") { crlf += 1 } else { lf += 1 }
      }
      index += 1
    }
    return crlf > lf ? .crlf : .lf
  }

  /// The offset of the first byte of the line containing `offset`.
  public func lineStart(containing offset: Int) -> Int {
    var index = min(offset, bytes.count)
    while index > 0 {
      let byte = bytes[index - 1]
      if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
      index -= 1
    }
    return index
  }

  /// The offset of the line break ending the line that contains `offset` (or the end of the file).
  public func lineEnd(containing offset: Int) -> Int {
    var index = max(0, offset)
    while index < bytes.count {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
      index += 1
    }
    return index
  }

  /// The offset just after the line break that ends the line containing `offset`; `count` at EOF.
  public func nextLineStart(after offset: Int) -> Int {
    var index = lineEnd(containing: offset)
    guard index < bytes.count else { return bytes.count }
    if bytes[index] == UInt8(ascii: "\r"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "\n") {
      index += 2
    } else {
      index += 1
    }
    return index
  }

  /// The line break that ends the line containing `offset`; `nil` at a last line without one.
  public func lineBreak(ofLineContaining offset: Int) -> LineBreak? {
    let end = lineEnd(containing: offset)
    guard end < bytes.count else { return nil }
    if bytes[end] == UInt8(ascii: "\r") {
      return end + 1 < bytes.count && bytes[end + 1] == UInt8(ascii: "\n") ? .crlf : .cr
    }
    return .lf
  }

  /// The column of `offset` counted in Unicode scalars from the start of its line, 0-based,
  /// not counting a BOM at the start of the file.
  public func column(of offset: Int) -> Int {
    var start = lineStart(containing: offset)
    if start == 0 && hasBOM && offset >= 3 { start = 3 }
    var count = 0
    var index = start
    while index < offset {
      if bytes[index] & 0xC0 != 0x80 { count += 1 }
      index += 1
    }
    return count
  }

  /// A string made of the bytes in `range` (invalid UTF-8 is repaired).
  public func text(_ range: Range<Int>) -> String {
    String(decoding: bytes[range], as: UTF8.self)
  }
}

/// A line break sequence.
public enum LineBreak: String, Sendable {
  case lf = "\n"
  case crlf = "\r\n"
  case cr = "\r"
}

/// Maps byte offsets to 1-based line and column numbers for one buffer. Build it once per file,
/// only when locations are needed (findings, errors).
public struct LineTable: Sendable {
  private let starts: [Int]
  private let source: SourceBuffer

  public init(_ source: SourceBuffer) {
    self.source = source
    var starts = [0]
    let bytes = source.bytes
    var index = 0
    let n = bytes.count
    while index < n {
      let byte = bytes[index]
      if byte == UInt8(ascii: "\n") {
        starts.append(index + 1)
      } else if byte == UInt8(ascii: "\r") {
        if index + 1 < n && bytes[index + 1] == UInt8(ascii: "\n") { index += 1 }
        starts.append(index + 1)
      }
      index += 1
    }
    self.starts = starts
  }

  /// The number of lines (a final line break opens an empty last line).
  public var lineCount: Int { starts.count }

  /// The location of a byte offset: 1-based line, 1-based column in Unicode scalars.
  public func location(of offset: Int) -> SourceLocation {
    let clamped = max(0, min(offset, source.count))
    var low = 0
    var high = starts.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if starts[mid] <= clamped { low = mid } else { high = mid - 1 }
    }
    return SourceLocation(offset: clamped, line: low + 1, column: source.column(of: clamped) + 1)
  }

  /// The byte offset where 1-based `line` starts.
  public func offset(ofLine line: Int) -> Int {
    starts[max(0, min(line - 1, starts.count - 1))]
  }

  /// The byte range of 1-based `line`, without its line break.
  public func range(ofLine line: Int) -> Range<Int> {
    let start = offset(ofLine: line)
    return start..<source.lineEnd(containing: start)
  }
}

/// A position in a source file: byte offset, 1-based line, 1-based column (Unicode scalars).
public struct SourceLocation: Sendable, Hashable, Codable {
  public var offset: Int
  public var line: Int
  public var column: Int
  public init(offset: Int, line: Int, column: Int) {
    self.offset = offset
    self.line = line
    self.column = column
  }
}

extension Array where Element == UInt8 {
  /// The first index of `byte` in `start..<end` (memchr; `end` defaults to the end).
  public func fastIndex(of byte: UInt8, from start: Int = 0, to end: Int? = nil) -> Int? {
    let end = Swift.min(end ?? count, count)
    guard start < end else { return nil }
    return withUnsafeBufferPointer { buffer -> Int? in
      guard let base = buffer.baseAddress, let found = memchr(base + start, Int32(byte), end - start) else { return nil }
      return UnsafeRawPointer(found) - UnsafeRawPointer(base)
    }
  }

  /// Whether every byte from `start` on is ASCII, eight bytes at a time.
  public func isASCII(from start: Int = 0) -> Bool {
    withUnsafeBufferPointer { buffer in
      guard let base = buffer.baseAddress else { return true }
      let raw = UnsafeRawPointer(base)
      var i = Swift.min(start, buffer.count)
      var bits: UInt64 = 0
      while i + 8 <= buffer.count {
        bits |= raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        i += 8
      }
      while i < buffer.count {
        bits |= UInt64(base[i])
        i += 1
      }
      return bits & 0x8080_8080_8080_8080 == 0
    }
  }
}
