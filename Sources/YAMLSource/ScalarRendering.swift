/// A value to write into a document.
public indirect enum NewValue: Sendable, Hashable {
  case bool(Bool)
  case int(Int)
  /// A string; written plain only where it reads back as the same string under YAML 1.1,
  /// YAML 1.2 core and go-yaml v2, quoted otherwise.
  case string(String)
  case mapping([NewEntry])
  /// A sequence; as a requirement it means "contains these items" (missing ones are appended).
  case sequence([NewValue])
}

/// A key and the value to write under it.
public struct NewEntry: Sendable, Hashable {
  public var key: String
  public var value: NewValue
  public init(_ key: String, _ value: NewValue) {
    self.key = key
    self.value = value
  }
}

/// Decides how scalars are written so they read back as the intended type.
public enum ScalarRendering {
  /// Whether `text` may be written as a plain scalar and still be read as that string by YAML 1.1
  /// (PyYAML, libyaml), YAML 1.2 core, and go-yaml v2 (kubectl), in block or flow context.
  ///
  /// Conservative on purpose: when in doubt, quote.
  public static func isPlainSafe(_ text: String, flow: Bool) -> Bool {
    var text = text
    return text.withUTF8 { isPlainSafe($0, flow: flow) }
  }

  /// Bytes that may not start a plain scalar.
  static let indicators: [Bool] = {
    var table = [Bool](repeating: false, count: 256)
    for byte in "-?:,[]{}#&*!|>'\"%@`".utf8 { table[Int(byte)] = true }
    return table
  }()

  static func isPlainSafe(_ utf8: UnsafeBufferPointer<UInt8>, flow: Bool) -> Bool {
    guard let first = utf8.first, let last = utf8.last else { return false }
    if first == 0x20 || last == 0x20 || last == UInt8(ascii: ":") { return false }
    if indicators[Int(first)] { return false }
    var previous: UInt8 = 0
    var nonASCII = false
    for byte in utf8 {
      // ": " and " #" start a value and a comment; tabs and control characters need escapes.
      if (previous == UInt8(ascii: ":") && byte == 0x20) || (previous == 0x20 && byte == UInt8(ascii: "#")) { return false }
      if byte < 0x20 || byte == 0x7F { return false }
      if flow
        && (byte == UInt8(ascii: ",") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
          || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: ":"))
      {
        return false
      }
      if byte >= 0x80 { nonASCII = true }
      previous = byte
    }
    if nonASCII {
      // Non-ASCII: refuse C1 controls, BOM and the Unicode line separators.
      for scalar in String(decoding: utf8, as: UTF8.self).unicodeScalars {
        if scalar.value == 0xFEFF || (scalar.value >= 0x80 && scalar.value <= 0x9F) { return false }
        if scalar == "\u{2028}" || scalar == "\u{2029}" || scalar == "\u{85}" { return false }
      }
    }
    return !resolvesToNonString(utf8)
  }

  /// Whether a plain scalar with this text would be read as something other than a string
  /// (null, bool, int, float, timestamp, merge key or value key) by any of the YAML dialects
  /// that read Kubernetes manifests.
  public static func resolvesToNonString(_ text: String) -> Bool {
    var text = text
    return text.withUTF8 { resolvesToNonString($0) }
  }

  /// `resolvesToNonString` over UTF-8 bytes (asked for every new string written, and by data comparison where a scalar changed style).
  public static func resolvesToNonString(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard let first = bytes.first else { return true }
    // First bytes of the non-string words, of numbers and of timestamps: any other first byte
    // makes a plain scalar a string (a switch, not a table: no array access in this hot path).
    switch first {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "~"),
      UInt8(ascii: "<"), UInt8(ascii: "="), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "y"), UInt8(ascii: "Y"),
      UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "o"), UInt8(ascii: "O"):
      break
    default:
      return false
    }
    if bytes.count <= 5 && isNonStringWord(bytes) { return true }
    var index = 0
    if first == UInt8(ascii: "+") || first == UInt8(ascii: "-") { index = 1 }
    guard index < bytes.count else { return false }
    let c = bytes[index]
    // Anything that starts like a number (digit, or `.` then digit/inf/nan) may be a number,
    // a sexagesimal, an octal, a hex, or a timestamp in some dialect: quote it unless it is
    // clearly a Kubernetes quantity with a letter suffix that no dialect reads as a number.
    if c == UInt8(ascii: ".") { return true }
    guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return false }
    return !isSuffixedQuantity(bytes[index...])
  }

  /// Whether the text is one of the null, boolean, merge and value words of YAML 1.1 and 1.2
  /// (`~ null Null NULL y Y yes Yes YES n N no No NO true True TRUE false False FALSE on On ON
  /// off Off OFF << =`). The bytes (at most 5) and the length are packed into one integer and
  /// matched by a switch: no array or string in this hot path.
  static func isNonStringWord(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    guard bytes.count <= 5 else { return false }
    var packed = UInt64(bytes.count) << 56
    for i in 0..<bytes.count { packed |= UInt64(bytes[i]) << UInt64(8 * i) }
    switch packed {
    case
      0x010000000000007E,  // ~
      0x040000006C6C756E,  // null
      0x040000006C6C754E,  // Null
      0x040000004C4C554E,  // NULL
      0x0100000000000079,  // y
      0x0100000000000059,  // Y
      0x0300000000736579,  // yes
      0x0300000000736559,  // Yes
      0x0300000000534559,  // YES
      0x010000000000006E,  // n
      0x010000000000004E,  // N
      0x0200000000006F6E,  // no
      0x0200000000006F4E,  // No
      0x0200000000004F4E,  // NO
      0x0400000065757274,  // true
      0x0400000065757254,  // True
      0x0400000045555254,  // TRUE
      0x05000065736C6166,  // false
      0x05000065736C6146,  // False
      0x05000045534C4146,  // FALSE
      0x0200000000006E6F,  // on
      0x0200000000006E4F,  // On
      0x0200000000004E4F,  // ON
      0x030000000066666F,  // off
      0x030000000066664F,  // Off
      0x030000000046464F,  // OFF
      0x0200000000003C3C,  // <<
      0x010000000000003D:  // =
      return true
    default:
      return false
    }
  }

  /// `123`, `1.5` followed by one of the quantity suffixes, and no exponent form: a string in
  /// every dialect.
  static func isSuffixedQuantity(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
    var i = bytes.startIndex
    var digits = 0
    var dots = 0
    while i < bytes.endIndex, (bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")) || bytes[i] == UInt8(ascii: ".") {
      if bytes[i] == UInt8(ascii: ".") { dots += 1 } else { digits += 1 }
      i += 1
    }
    guard digits > 0, dots <= 1, i < bytes.endIndex else { return false }
    let suffix = bytes[i...]
    return quantitySuffixes.contains { $0.elementsEqual(suffix) }
  }

  static let quantitySuffixes: [[UInt8]] = ["m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u"].map {
    Array($0.utf8)
  }

  /// A double-quoted scalar with JSON-compatible escapes.
  public static func doubleQuoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F {
          let hex = String(scalar.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  /// A single-quoted scalar (only for text without line breaks).
  public static func singleQuoted(_ text: String) -> String {
    "'" + text.replacingOccurrences("'", with: "''") + "'"
  }

  /// Renders a scalar value. `quoteStyle` is the style of a scalar being replaced or of the
  /// neighbouring keys; `json` forces JSON syntax (double quotes for every string).
  public static func render(_ value: NewValue, flow: Bool, json: Bool, quoteStyle: NodeStyle = .plain) -> String {
    switch value {
    case .bool(let b): return b ? "true" : "false"
    case .int(let i): return String(i)
    case .string(let s): return renderString(s, flow: flow, json: json, quoteStyle: quoteStyle)
    case .mapping(let entries): return entries.isEmpty ? "{}" : render(value, json: json, layout: .oneLine, indent: 0)
    case .sequence(let items): return items.isEmpty ? "[]" : render(value, json: json, layout: .oneLine, indent: 0)
    }
  }

  /// Renders a value in flow context with `layout`: collections on one line, or one entry per
  /// line `layout.step` deeper than `indent` with the closing bracket at `indent`. Scalars as
  /// `render(_:flow:json:quoteStyle:)`.
  public static func render(_ value: NewValue, json: Bool, layout: FlowLayout, indent: Int, quoteStyle: NodeStyle = .plain) -> String {
    let inner = indent + (layout.step ?? 0)
    switch value {
    case .mapping(let entries) where !entries.isEmpty:
      let parts = entries.map {
        renderKey($0.key, flow: true, json: json) + layout.colon + render($0.value, json: json, layout: layout, indent: inner)
      }
      return "{" + join(parts, layout: layout, indent: indent) + "}"
    case .sequence(let items) where !items.isEmpty:
      return "[" + join(items.map { render($0, json: json, layout: layout, indent: inner) }, layout: layout, indent: indent) + "]"
    default:
      return render(value, flow: true, json: json, quoteStyle: quoteStyle)
    }
  }

  /// The entries or items of a collection between its brackets: `a, b` on one line, or each on
  /// its own line `layout.step` deeper than `indent`, the closing bracket's line at `indent`.
  public static func join(_ parts: [String], layout: FlowLayout, indent: Int) -> String {
    guard let step = layout.step else { return parts.joined(separator: layout.comma) }
    let lb = layout.lineBreak.rawValue
    let pad = String(repeating: " ", count: indent + step)
    return lb + parts.map { pad + $0 }.joined(separator: "," + lb) + lb + String(repeating: " ", count: indent)
  }

  /// Renders a mapping key.
  public static func renderKey(_ key: String, flow: Bool, json: Bool) -> String {
    renderString(key, flow: flow, json: json, quoteStyle: json ? .doubleQuoted : .plain)
  }

  static func renderString(_ s: String, flow: Bool, json: Bool, quoteStyle: NodeStyle) -> String {
    if json || quoteStyle == .doubleQuoted { return doubleQuoted(s) }
    if quoteStyle == .singleQuoted && !s.contains("\n") { return singleQuoted(s) }
    return isPlainSafe(s, flow: flow) ? s : doubleQuoted(s)
  }
}

extension String {
  func replacingOccurrences(_ target: String, with replacement: String) -> String {
    guard !target.isEmpty else { return self }
    var result = ""
    var rest = self[...]
    while let range = rest.range(of: target) {
      result += rest[..<range.lowerBound]
      result += replacement
      rest = rest[range.upperBound...]
    }
    return result + rest
  }
}

extension Substring {
  func range(of target: String) -> Range<Substring.Index>? {
    let t = Array(target.utf8)
    let u = self.utf8
    var i = u.startIndex
    while i != u.endIndex {
      var j = i
      var k = 0
      while k < t.count && j != u.endIndex && u[j] == t[k] {
        j = u.index(after: j)
        k += 1
      }
      if k == t.count { return i..<j }
      i = u.index(after: i)
    }
    return nil
  }
}
