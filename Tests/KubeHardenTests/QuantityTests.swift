import XCTest

@testable import KubeHarden

final class QuantityTests: XCTestCase {
  private func q(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Quantity {
    guard let quantity = Quantity(text) else {
      XCTFail("\(text) should parse", file: file, line: line)
      return Quantity("0") ?? { preconditionFailure("0 must parse") }()
    }
    return quantity
  }

  private func assertEqual(
    _ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertEqual(q(a), q(b), "\(a) == \(b)", file: file, line: line)
    XCTAssertEqual(q(a).hashValue, q(b).hashValue, "hash(\(a)) == hash(\(b))", file: file, line: line)
    XCTAssertFalse(q(a) < q(b), "!(\(a) < \(b))", file: file, line: line)
    XCTAssertFalse(q(b) < q(a), "!(\(b) < \(a))", file: file, line: line)
  }

  private func assertLess(
    _ a: String, _ b: String, file: StaticString = #filePath, line: UInt = #line
  ) {
    XCTAssertLessThan(q(a), q(b), "\(a) < \(b)", file: file, line: line)
    XCTAssertGreaterThan(q(b), q(a), "\(b) > \(a)", file: file, line: line)
    XCTAssertNotEqual(q(a), q(b), "\(a) != \(b)", file: file, line: line)
  }

  /// The OpenAPI pattern Kubernetes publishes for `resource.Quantity`.
  private static let schemaPattern =
    #"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"#

  // MARK: Units

  func testDecimalSIUnits() {
    assertEqual("1n", "1e-9")
    assertEqual("1u", "1e-6")
    assertEqual("1m", "1e-3")
    assertEqual("1", "1e0")
    assertEqual("1k", "1e3")
    assertEqual("1M", "1e6")
    assertEqual("1G", "1e9")
    assertEqual("1T", "1e12")
    assertEqual("1P", "1e15")
    assertEqual("1E", "1e18")
    for text in ["1n", "1u", "1m", "1", "1k", "1M", "1G", "1T", "1P", "1E"] {
      XCTAssertEqual(q(text).format, .decimalSI, text)
    }
  }

  func testBinarySIUnits() {
    assertEqual("1Ki", "1024")
    assertEqual("1Mi", "1048576")
    assertEqual("1Gi", "1073741824")
    assertEqual("1Ti", "1099511627776")
    assertEqual("1Pi", "1125899906842624")
    assertEqual("1Ei", "1152921504606846976")
    for text in ["1Ki", "1Mi", "1Gi", "1Ti", "1Pi", "1Ei"] {
      XCTAssertEqual(q(text).format, .binarySI, text)
    }
  }

  func testDecimals() {
    assertEqual("1.5", "1500m")
    assertEqual(".5", "500m")
    assertEqual("5.", "5")
    assertEqual("0.5", "500m")
    assertEqual("1.5Gi", "1536Mi")
    assertEqual("0.5Ki", "512")
    assertEqual("0.1Ki", "102.4")
    assertEqual("2.5k", "2500")
    assertEqual("0.001", "1m")
    assertEqual("0.000000001", "1n")
    assertEqual("1.G", "1G")
    assertEqual("007", "7")
    assertEqual("1.500", "1.5")
    assertEqual("+1.5", "1.5")
  }

  func testExponents() {
    assertEqual("1e3", "1k")
    assertEqual("1E3", "1000")
    assertEqual("12E6", "12M")
    assertEqual("1e+3", "1k")
    assertEqual("1E-2", "10m")
    assertEqual("5e-2", "0.05")
    assertEqual("1.5e3", "1500")
    assertEqual(".5e1", "5")
    assertEqual("1e-12", "0.000000000001")
    assertEqual("1e0", "1")
    assertEqual("1e007", "1e7")
    XCTAssertEqual(q("1e3").format, .decimalExponent)
    XCTAssertEqual(q("1E3").format, .decimalExponent)
    XCTAssertEqual(q("1E").format, .decimalSI, "a lone E is the exa suffix")
    assertEqual("1E", "1e18")
    assertLess("1E3", "1E")
  }

  func testLargeExponentsStayCheap() {
    assertLess("1e2000000000", "2e2000000000")
    assertLess("1e-2000000000", "1n")
    assertLess("999e2000000000", "1e2000000003")
    assertEqual("1000e2000000000", "1e2000000003")
    XCTAssertEqual(q("1e2147483647").canonical, "10e2147483646")
    XCTAssertEqual(q("-1e-2147483647").canonical, "-100e-2147483649")
    XCTAssertNil(Quantity("1e2147483648"))
    XCTAssertNil(Quantity("10e2147483647"))
    XCTAssertNil(Quantity("1e-2147483648"))
    XCTAssertNil(Quantity("0.1e-2147483647"))
    XCTAssertNil(Quantity("1e99999999999999999999999"))
    assertEqual("0.1e2147483648", "1e2147483647")
    assertEqual("1000e-2147483650", "1e-2147483647")
    assertEqual("0e99999999", "0")
  }

  func testNegativeAndZero() {
    XCTAssertTrue(q("-1").isNegative)
    XCTAssertTrue(q("-500m").isNegative)
    XCTAssertTrue(q("-1Gi").isNegative)
    XCTAssertFalse(q("1").isNegative)
    XCTAssertFalse(q("+1").isNegative)
    XCTAssertFalse(q("-0").isNegative)
    XCTAssertFalse(q("0").isNegative)
    for zero in ["0", "-0", "+0", "0m", "0Gi", "0.000", ".0", "0.", "0e5", "-0E-3", "000"] {
      XCTAssertTrue(q(zero).isZero, zero)
      assertEqual(zero, "0")
      XCTAssertEqual(q(zero).canonical, "0", zero)
    }
    XCTAssertFalse(q("1n").isZero)
    XCTAssertFalse(q("-1e-30").isZero)
    assertLess("-1", "0")
    assertLess("-1Gi", "-1G")
    assertLess("-1", "-999m")
    assertLess("-1Ei", "1n")
    assertEqual("-1.5", "-1500m")
    assertEqual("-1e3", "-1k")
  }

  // MARK: Invalid input

  func testInvalidInputs() {
    let invalid = [
      "", " ", "1.5.2", "Mi", "Ki", "m", "1 Mi", "1mi", "1KI", "1K", "1kI", "1ki", "abc", " 1", "1 ",
      "1\n", ".", "-", "+", "-.", "+-1", "--1", "1-", "1e", "1e+", "1E-", "1e1.5", "1ee3", "1e3Mi",
      "1Mi3", "1MiB", "1Gb", "1GB", "1.5 Gi", "1,5", "1_000", "0x10", "1µ", "١", "1m1", "e3", "E",
      "1e 3", "inf", "NaN", "1ii", "1i", "Gi1", "1.5Gi ", "\t1",
    ]
    for text in invalid {
      XCTAssertNil(Quantity(text), "\(text.debugDescription) should be rejected")
    }
  }

  // MARK: Exact comparisons

  func testExactComparisons() {
    assertLess("1G", "1Gi")
    assertEqual("1000m", "1")
    assertEqual("0.5", "500m")
    assertEqual("1e3", "1k")
    XCTAssertNotEqual(q("128974848"), q("129e6"))
    assertLess("128974848", "129e6")
    assertEqual("128974848", "123Mi")
    assertLess("1Mi", "1.1M")
    assertLess("1M", "1Mi")
    assertLess("999m", "1")
    assertLess("1n", "1u")
    assertLess("100m", "0.11")
    assertLess("1.1", "1.11")
    assertLess("1.09", "1.1")
    assertLess("9", "10")
    assertLess("99999", "1e5")
    assertEqual("1e5", "100000")
  }

  func testComparisonsAtExtremes() {
    // 2^60 = 1152921504606846976; 999999999999999999E ~ 10^36.
    assertLess("1E", "1Ei")
    assertLess("1Ei", "999999999999999999E")
    assertLess("1n", "1Ei")
    assertLess("1n", "999999999999999999E")
    assertLess("-999999999999999999E", "-1Ei")
    assertLess("-1Ei", "-1n")
    assertLess("999999999999999999E", "1000000000000000000E")
    assertEqual("999999999999999999E", "999999999999999999000000000000000000")
    assertEqual("1Ei", "1152921504606846976")
    assertLess("1152921504606846975", "1Ei")
    assertLess("1Ei", "1152921504606846977")
    assertEqual("1Ei", "1024Pi")
    assertLess("1Ei", "1152921504606846976.000000001")
    assertLess("1152921504606846975.999999999", "1Ei")
    assertEqual("0.000000001Ei", "1152921504.606846976")
    assertLess("1n", "1.000000000000000000001n")
    assertLess("0.999999999999999999999999n", "1n")
    assertLess("9223372036854775807", "9223372036854775808")
    assertLess("8Ei", "9223372036854775809")
    assertEqual("8Ei", "9223372036854775808")

    let ordered = [
      "-999999999999999999E", "-1Ei", "-1E", "-1Gi", "-1G", "-1", "-1n", "0", "1n", "1u", "999999n",
      "1m", "0.5", "1", "1.0001", "1k", "1Ki", "1M", "1Mi", "1G", "1Gi", "1T", "1Ti", "1P", "1Pi",
      "1E", "1Ei", "1e19", "999999999999999999E",
    ]
    let quantities = ordered.map { q($0) }
    XCTAssertEqual(quantities.shuffled().sorted(), quantities)
    for (i, a) in quantities.enumerated() {
      for (j, b) in quantities.enumerated() {
        XCTAssertEqual(a < b, i < j, "\(a) < \(b)")
        XCTAssertEqual(a == b, i == j, "\(a) == \(b)")
      }
    }
  }

  func testHashingByValue() {
    let set: Set<Quantity> = [q("1"), q("1000m"), q("1e0"), q("1.0"), q("0.001k"), q("2")]
    XCTAssertEqual(set.count, 2)
    XCTAssertTrue(set.contains(q("1000000u")))
  }

  // MARK: Description and canonical

  func testDescriptionKeepsOriginalText() {
    for text in ["1.5Gi", "1000m", "+1", "-0", "1E3", ".5", "5.", "007"] {
      XCTAssertEqual(q(text).description, text)
      XCTAssertEqual("\(q(text))", text)
    }
  }

  func testCanonicalForms() {
    let expected: [(String, String)] = [
      ("0.5", "500m"),
      ("1.5", "1500m"),
      ("1.5Gi", "1536Mi"),
      ("1024Mi", "1Gi"),
      ("1Gi", "1Gi"),
      ("0.5Ki", "512"),
      ("0.1Ki", "102400m"),
      ("1000m", "1"),
      ("1", "1"),
      ("1500", "1500"),
      ("2000", "2k"),
      ("100m", "100m"),
      ("0.0005", "500u"),
      ("1.5n", "1500e-12"),
      ("0.0000000001", "100e-12"),
      ("1e3", "1e3"),
      ("12E6", "12e6"),
      ("1.5e3", "1500"),
      ("5e-2", "50e-3"),
      ("1E", "1E"),
      ("1000E", "1000E"),
      ("1000000000000000000000", "1000E"),
      ("1Ei", "1Ei"),
      ("2048Ei", "2048Ei"),
      ("-0.5", "-500m"),
      ("-1.5Gi", "-1536Mi"),
      ("+2k", "2k"),
      ("1.000", "1"),
      ("0.25Ki", "256"),
      ("1536", "1536"),
    ]
    for (input, canonical) in expected {
      XCTAssertEqual(q(input).canonical, canonical, input)
    }
  }

  func testCanonicalRoundTrip() throws {
    let table = [
      "0", "-0", "1", "-1", "+1", "0.5", ".5", "5.", "1.5", "-1.5", "1000m", "100m", "1m", "250m",
      "0.001", "1n", "1u", "1.5n", "0.1n", "123456789n", "1k", "1.5k", "2.5M", "1G", "1.2T", "3P",
      "1E", "7.5E", "999999999999999999E", "1Ki", "1.5Ki", "0.5Ki", "0.1Ki", "0.001Ki", "1Mi",
      "1.5Gi", "2.25Gi", "1Ti", "1Pi", "1Ei", "1.5Ei", "-1.5Gi", "1024Mi", "1e3", "1E3", "12E6",
      "1e-3", "1.5e3", "5e-2", "1e-12", "1E+9", ".5e1", "-2.5e-7", "1e30", "128974848", "129e6",
      "123Mi", "9223372036854775807", "9223372036854775808", "0.000000000001", "1.0001",
      "100000000000000000000000", "3.14159265358979323846", "1e2147483647", "1e-2147483647",
    ]
    XCTAssertGreaterThanOrEqual(table.count, 40)
    let pattern = try Regex(Self.schemaPattern)
    for text in table {
      let original = q(text)
      let canonical = original.canonical
      XCTAssertNotNil(canonical.wholeMatch(of: pattern), "\(canonical) (from \(text)) matches the schema")
      XCTAssertFalse(canonical.contains("."), "\(canonical) (from \(text)) is not a float form")
      guard let reparsed = Quantity(canonical) else {
        XCTFail("canonical \(canonical) of \(text) does not parse")
        continue
      }
      XCTAssertEqual(reparsed, original, "\(text) -> \(canonical)")
      XCTAssertEqual(reparsed.canonical, canonical, "canonical is idempotent for \(text)")
    }
  }

  func testAllValidInputsMatchSchemaPattern() throws {
    let pattern = try Regex(Self.schemaPattern)
    let valid = [
      "1", "+1", "-1", "1.5", ".5", "5.", "1Ki", "1Ei", "1n", "1u", "1m", "1k", "1E", "1e3", "1E3",
      "1E-2", "1e+3", "12E6",
    ]
    for text in valid {
      XCTAssertNotNil(Quantity(text), text)
      XCTAssertNotNil(text.wholeMatch(of: pattern), text)
    }
  }
}
