/// A Kubernetes resource quantity (`resources.requests.cpu: 500m`, `memory: 1.5Gi`, ...),
/// held as an exact decimal so that comparisons never overflow or round.
///
/// The accepted grammar is the one of `k8s.io/apimachinery/pkg/api/resource.Quantity`:
///
///     quantity  ::= sign? number suffix?
///     sign      ::= "+" | "-"
///     number    ::= digits ("." digits?)? | "." digits
///     suffix    ::= binarySI | decimalSI | exponent
///     binarySI  ::= "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei"
///     decimalSI ::= "n" | "u" | "m" | "" | "k" | "M" | "G" | "T" | "P" | "E"
///     exponent  ::= ("e" | "E") sign? digits
///
/// Units:
/// - Binary SI (powers of two, usually bytes): `Ki` = 2^10, `Mi` = 2^20, `Gi` = 2^30,
///   `Ti` = 2^40, `Pi` = 2^50, `Ei` = 2^60.
/// - Decimal SI (powers of ten): `n` = 10^-9 (nano), `u` = 10^-6 (micro), `m` = 10^-3 (milli,
///   e.g. millicores), no suffix = 1, `k` = 10^3, `M` = 10^6, `G` = 10^9, `T` = 10^12,
///   `P` = 10^15, `E` = 10^18 (exa).
/// - Decimal exponent: `1e3` = 1000, `12E6` = 12 000 000, `5e-2` = 0.05. A lone `E` is the exa
///   suffix (`1E` = 10^18); `E` followed by digits is an exponent (`1E3` = 1000).
///
/// Suffixes are case-sensitive (`1mi`, `1KI`, `1K` are rejected) and no whitespace is allowed.
/// Once trailing zeros are dropped, the value must be `digits * 10^e` with `|e| <= Int32.max`
/// (Kubernetes keeps the scale in an `Int32`); `1e2147483648` is rejected, `0.1e2147483648` is not.
///
/// Unlike the API server, which caps values at 2^63-1 and rounds anything finer than `1n`
/// up to nanos, this type keeps the written value exactly: `999999999999999999E`, `1Ei` and
/// `1e-12` are all distinct and compare correctly.
///
/// Equality, hashing and ordering are by value: `1000m == 1`, `0.5 == 500m`, `1e3 == 1k`,
/// `1Gi > 1G`. `description` is the text as written; `canonical` is a normalized spelling.
public struct Quantity: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// The suffix family a quantity was written in.
  public enum Format: Sendable, Hashable {
    /// `Ki`, `Mi`, `Gi`, `Ti`, `Pi`, `Ei` (powers of 1024).
    case binarySI
    /// `n`, `u`, `m`, no suffix, `k`, `M`, `G`, `T`, `P`, `E` (powers of 1000).
    case decimalSI
    /// `e<n>` / `E<n>` (powers of ten).
    case decimalExponent
  }

  /// The text as parsed, returned by `description`.
  public let text: String
  /// The suffix family of `text`.
  public let format: Format

  /// The value is `(negative ? -1 : 1) * digits * 10^exponent`. `digits` holds decimal digits,
  /// most significant first, without leading or trailing zeros; it is empty for zero, in which
  /// case `negative` is false and `exponent` is 0. This makes the representation unique.
  private let negative: Bool
  private let digits: [UInt8]
  private let exponent: Int

  /// Parses a Kubernetes quantity string such as `500m`, `1.5Gi`, `.5`, `1e3` or `-2k`.
  /// Returns nil when `text` is not in the grammar described on the type.
  public init?(_ text: String) {
    let bytes = Array(text.utf8)
    var i = 0
    var negative = false
    if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
      negative = bytes[i] == UInt8(ascii: "-")
      i += 1
    }
    var mantissa: [UInt8] = []
    var fractionCount = 0
    while i < bytes.count, let d = Quantity.digit(bytes[i]) {
      mantissa.append(d)
      i += 1
    }
    var sawDigit = !mantissa.isEmpty
    if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
      i += 1
      while i < bytes.count, let d = Quantity.digit(bytes[i]) {
        mantissa.append(d)
        fractionCount += 1
        i += 1
      }
      sawDigit = sawDigit || fractionCount > 0
    }
    guard sawDigit, let suffix = Quantity.suffix(bytes[i...]) else { return nil }

    for _ in 0..<suffix.powersOf1024 {
      mantissa = Quantity.multiply(mantissa, by: 1024)
    }
    var exponent = suffix.powerOf10 - fractionCount

    // Normalize: no leading zeros, no trailing zeros, canonical zero.
    let firstNonZero = mantissa.firstIndex(where: { $0 != 0 }) ?? mantissa.count
    mantissa.removeFirst(firstNonZero)
    while let last = mantissa.last, last == 0 {
      mantissa.removeLast()
      exponent += 1
    }
    if mantissa.isEmpty {
      negative = false
      exponent = 0
    }
    // As in Kubernetes, the scale is an Int32. Checking the normalized exponent (not the
    // written one) keeps every `canonical` spelling parseable.
    guard abs(exponent) <= Int(Int32.max) else { return nil }

    self.text = text
    self.format = suffix.format
    self.negative = negative
    self.digits = mantissa
    self.exponent = exponent
  }

  /// The text as parsed.
  public var description: String { text }

  /// True for `0`, `0Mi`, `-0`, `0.000m`, ...
  public var isZero: Bool { digits.isEmpty }

  /// True when the value is strictly below zero (`-0` is not negative).
  public var isNegative: Bool { negative }

  /// A normalized spelling that Kubernetes accepts and that parses back to an equal value.
  ///
  /// The mantissa is always an integer (never `0.5` or `1.5Gi`), and the original suffix family
  /// is kept when it can express the value as an integer:
  /// - binary SI: the largest of `Ei`...`Ki` that divides the value (`1.5Gi` -> `1536Mi`,
  ///   `1024Mi` -> `1Gi`, `0.5Ki` -> `512`); a fractional value falls back to decimal SI
  ///   (`0.1Ki` -> `102400m`);
  /// - decimal SI: the largest of `E`...`n` that leaves an integer (`0.5` -> `500m`,
  ///   `1.5` -> `1500m`, `1000m` -> `1`, `1500` -> `1500`, `2000` -> `2k`); a value finer than
  ///   `1n` uses an exponent (`0.0000000001` -> `100e-12`);
  /// - decimal exponent: an exponent that is a multiple of 3 (`12E6` -> `12e6`,
  ///   `1.5e3` -> `1500`, `5e-2` -> `50e-3`).
  ///
  /// Zero is `0`; negative values carry a leading `-`.
  public var canonical: String {
    if isZero { return "0" }
    let sign = negative ? "-" : ""
    switch format {
    case .binarySI:
      if let binary = binaryCanonical() { return sign + binary }
      return sign + decimalSICanonical()
    case .decimalSI:
      return sign + decimalSICanonical()
    case .decimalExponent:
      return sign + exponentCanonical()
    }
  }

  // MARK: Equatable, Hashable, Comparable

  public static func == (lhs: Quantity, rhs: Quantity) -> Bool {
    lhs.negative == rhs.negative && lhs.exponent == rhs.exponent && lhs.digits == rhs.digits
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(negative)
    hasher.combine(exponent)
    hasher.combine(digits)
  }

  public static func < (lhs: Quantity, rhs: Quantity) -> Bool {
    let ls = lhs.signum, rs = rhs.signum
    if ls != rs { return ls < rs }
    if ls == 0 { return false }
    let magnitude = compareMagnitude(lhs, rhs)
    return lhs.negative ? magnitude > 0 : magnitude < 0
  }

  // MARK: Private

  private var signum: Int { isZero ? 0 : (negative ? -1 : 1) }

  /// Compares `|lhs|` and `|rhs|` (both non-zero) without materializing any power of ten:
  /// first by the position of the leading digit, then digit by digit. Trailing zeros are
  /// stripped, so a shorter digit string that is a prefix of a longer one is the smaller value.
  private static func compareMagnitude(_ lhs: Quantity, _ rhs: Quantity) -> Int {
    let lTop = lhs.digits.count + lhs.exponent
    let rTop = rhs.digits.count + rhs.exponent
    if lTop != rTop { return lTop < rTop ? -1 : 1 }
    if lhs.digits == rhs.digits { return 0 }
    return lhs.digits.lexicographicallyPrecedes(rhs.digits) ? -1 : 1
  }

  private static let binarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]
  /// Decimal SI suffixes, indexed by (power of 1000) + 3.
  private static let decimalSuffixes = ["n", "u", "m", "", "k", "M", "G", "T", "P", "E"]

  private struct Suffix {
    var format: Format
    var powerOf10: Int
    var powersOf1024: Int
  }

  private static func suffix(_ bytes: ArraySlice<UInt8>) -> Suffix? {
    let s = String(decoding: bytes, as: UTF8.self)
    if let k = binarySuffixes.firstIndex(of: s), k > 0 {
      return Suffix(format: .binarySI, powerOf10: 0, powersOf1024: k)
    }
    if let k = decimalSuffixes.firstIndex(of: s) {
      return Suffix(format: .decimalSI, powerOf10: (k - 3) * 3, powersOf1024: 0)
    }
    // Exponent: [eE] [+-]? digits, fitting in an Int32.
    guard let first = bytes.first, first == UInt8(ascii: "e") || first == UInt8(ascii: "E")
    else { return nil }
    var rest = bytes.dropFirst()
    var negative = false
    if let sign = rest.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
      negative = sign == UInt8(ascii: "-")
      rest = rest.dropFirst()
    }
    guard !rest.isEmpty else { return nil }
    var value = 0
    for byte in rest {
      guard let d = digit(byte) else { return nil }
      value = value * 10 + Int(d)
      // Far beyond the Int32 limit checked after normalization; stops overflow early.
      guard value <= 1 << 40 else { return nil }
    }
    return Suffix(format: .decimalExponent, powerOf10: negative ? -value : value, powersOf1024: 0)
  }

  private static func digit(_ byte: UInt8) -> UInt8? {
    byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? byte - UInt8(ascii: "0") : nil
  }

  /// `digits * factor`, for a small factor; digits most significant first.
  private static func multiply(_ digits: [UInt8], by factor: Int) -> [UInt8] {
    var result: [UInt8] = []
    result.reserveCapacity(digits.count + 4)
    var carry = 0
    for d in digits.reversed() {
      let product = Int(d) * factor + carry
      result.append(UInt8(product % 10))
      carry = product / 10
    }
    while carry > 0 {
      result.append(UInt8(carry % 10))
      carry /= 10
    }
    return result.reversed()
  }

  /// `(digits / divisor, digits % divisor)` for a small divisor; the quotient has no leading zeros.
  private static func divide(_ digits: [UInt8], by divisor: Int) -> (quotient: [UInt8], remainder: Int) {
    var quotient: [UInt8] = []
    quotient.reserveCapacity(digits.count)
    var remainder = 0
    for d in digits {
      let current = remainder * 10 + Int(d)
      let q = current / divisor
      remainder = current % divisor
      if !quotient.isEmpty || q != 0 { quotient.append(UInt8(q)) }
    }
    return (quotient, remainder)
  }

  private static func render(_ digits: [UInt8], zeros: Int) -> String {
    var out = String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
    if zeros > 0 { out += String(repeating: "0", count: zeros) }
    return out
  }

  private static func floorDiv(_ a: Int, _ b: Int) -> Int {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }

  /// `N<Ki..Ei>` or a plain integer, for integral values; nil for fractional ones.
  /// Binary-SI exponents are bounded by the input length, so expanding them is cheap.
  private func binaryCanonical() -> String? {
    guard exponent >= 0 else { return nil }
    var integer = digits + [UInt8](repeating: 0, count: exponent)
    var power = 0
    while power < Quantity.binarySuffixes.count - 1 {
      let (q, r) = Quantity.divide(integer, by: 1024)
      guard r == 0 else { break }
      integer = q
      power += 1
    }
    return Quantity.render(integer, zeros: 0) + Quantity.binarySuffixes[power]
  }

  /// `N<n..E>` with the largest suffix that leaves an integer; exponent form below `1n`.
  /// Only used for binary and decimal SI inputs, whose exponents are bounded by the input length.
  private func decimalSICanonical() -> String {
    let thousands = min(Quantity.floorDiv(exponent, 3), 6)
    guard thousands >= -3 else { return exponentCanonical() }
    return Quantity.render(digits, zeros: exponent - thousands * 3)
      + Quantity.decimalSuffixes[thousands + 3]
  }

  /// `Ne<3k>` (or plain `N` when k is 0), padding the mantissa with at most two zeros.
  private func exponentCanonical() -> String {
    let power = Quantity.floorDiv(exponent, 3) * 3
    let mantissa = Quantity.render(digits, zeros: exponent - power)
    return power == 0 ? mantissa : mantissa + "e" + String(power)
  }
}
