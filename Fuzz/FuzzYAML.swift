// libFuzzer entry point for kubeharden's parser and pipeline.
//
// Not part of the SwiftPM build: `Scripts/fuzz.sh` compiles this file together with the
// sources of Sources/YAMLSource and Sources/KubeHarden into one module (their
// `import YAMLSource` lines are dropped in a copy under a temporary directory), with
// `-sanitize=fuzzer,address`. That is why nothing here imports YAMLSource or KubeHarden.
//
// Properties checked for every input (a violation calls `fatalError`, which libFuzzer reports
// as a crash and saves the input):
//   1. no crash, no hang (libFuzzer `-timeout`), no memory error (ASan);
//   2. the identity render (`EditSet().apply` with no edits) returns the input unchanged;
//   3. an error leaves the bytes unchanged, has line and column >= 1 and a one-line message;
//   4. when the pipeline changes the input without error: the output parses, every comment
//      of the input is still in the output (multiset of comment texts, found outside scalar
//      nodes using the parser's own node ranges), and a second run changes nothing.

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzYAMLTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
  if FuzzChecks.selfTest && bytes.count >= 12 && bytes.starts(with: Array("FUZZSELFTEST".utf8)) {
    FuzzChecks.fail("self-test crash (KUBEHARDEN_FUZZ_SELFTEST is set)", bytes)
  }
  FuzzChecks.run(bytes)
  return 0
}

enum FuzzChecks {
  /// `KUBEHARDEN_FUZZ_SELFTEST=1`: an input starting with `FUZZSELFTEST` crashes on purpose, to
  /// check the crash handling of `Scripts/fuzz.sh` end to end.
  static let selfTest = getenv("KUBEHARDEN_FUZZ_SELFTEST") != nil

  static func fail(_ message: String, _ bytes: [UInt8]) -> Never {
    let head = String(decoding: bytes.prefix(400), as: UTF8.self)
    fputs("FUZZ PROPERTY VIOLATED: \(message)\n--- input (\(bytes.count) bytes, first 400) ---\n\(head)\n---\n", stderr)
    fatalError(message)
  }

  static func run(_ bytes: [UInt8]) {
    // 2. Identity render.
    do {
      let same = try EditSet().apply(to: bytes)
      if same != bytes { fail("identity render changed the bytes", bytes) }
    } catch {
      fail("identity render threw \(error)", bytes)
    }

    // The parser on its own: must not crash; errors must be located.
    do {
      _ = try YAMLParser.parse(SourceBuffer(bytes))
    } catch {
      checkError(line: error.line, column: error.column, message: error.message, what: "parser", bytes)
    }

    // 1/3/4. The pipeline. Its render caches outlive a run (they serve the next file); they
    // are dropped after each input, or LeakSanitizer, which does not follow pointers that carry
    // Swift's enum tags or string flags in their high bits, reports the blocks they hold as leaks.
    defer { Pipeline.renderCaches.removeAll() }
    let report = Pipeline().process(path: "fuzz.yaml", bytes: bytes)
    if report.original != bytes { fail("report.original differs from the input", bytes) }
    if let error = report.error {
      if report.fixed != bytes { fail("an error but fixed != original", bytes) }
      checkError(line: error.line, column: error.column, message: error.message, what: "pipeline", bytes)
      return
    }
    guard report.fixed != bytes else { return }
    let fixed = report.fixed
    let inputDocs: [Document]
    let outputDocs: [Document]
    do {
      inputDocs = try YAMLParser.parse(SourceBuffer(bytes))
    } catch {
      fail("the pipeline changed an input the parser rejects: \(error)", bytes)
    }
    do {
      outputDocs = try YAMLParser.parse(SourceBuffer(fixed))
    } catch {
      fail("the fixed output does not parse: \(error)\n--- output ---\n\(String(decoding: fixed, as: UTF8.self))", bytes)
    }
    // The same documents, plus the LimitRanges namespace-limit-range adds after Namespaces.
    func limitRanges(_ docs: [Document]) -> Int {
      docs.filter { doc in doc.root.flatMap { MappingEditor(doc).lookup($0, "kind") }.flatMap { doc.string($0.value) } == "LimitRange" }.count
    }
    let added = limitRanges(outputDocs) - limitRanges(inputDocs)
    if outputDocs.count - inputDocs.count != added || added > (report.counts.fixableByPass[NamespaceLimitRange.id] ?? 0) {
      fail("document count changed \(inputDocs.count) -> \(outputDocs.count) (\(added) LimitRanges added)", bytes)
    }
    let before = comments(bytes, inputDocs)
    let after = comments(fixed, outputDocs)
    for (text, count) in before where (after[text] ?? 0) < count {
      fail(
        "comment lost: '\(String(decoding: text, as: UTF8.self))' (\(count) in input, \(after[text] ?? 0) in output)\n--- output ---\n\(String(decoding: fixed, as: UTF8.self))",
        bytes)
    }
    let again = Pipeline().process(path: "fuzz.yaml", bytes: fixed)
    if let error = again.error {
      fail("second run on the fixed output fails: \(error)\n--- output ---\n\(String(decoding: fixed, as: UTF8.self))", bytes)
    }
    if again.fixed != fixed {
      fail(
        "second run changes the output again\n--- output ---\n\(String(decoding: fixed, as: UTF8.self))\n--- second ---\n\(String(decoding: again.fixed, as: UTF8.self))",
        bytes)
    }
  }

  static func checkError(line: Int, column: Int, message: String, what: String, _ bytes: [UInt8]) {
    if line < 1 || column < 1 { fail("\(what) error at \(line):\(column) (must be >= 1): \(message)", bytes) }
    if message.isEmpty || message.contains("\n") { fail("\(what) error message is empty or has several lines: \(message)", bytes) }
  }

  /// The multiset of comment texts: a `#` at a line start or after a blank, outside every scalar
  /// node (node ranges come from the parser, so quoted and block scalars are excluded exactly).
  static func comments(_ bytes: [UInt8], _ documents: [Document]) -> [[UInt8]: Int] {
    var inScalar = [Bool](repeating: false, count: bytes.count)
    for document in documents {
      for node in document.allNodes where document.isScalar(node) {
        let range = document.range(node)
        let lower = max(0, min(range.lowerBound, bytes.count))
        let upper = max(lower, min(range.upperBound, bytes.count))
        for i in lower..<upper { inScalar[i] = true }
      }
    }
    var result: [[UInt8]: Int] = [:]
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      let afterBlank = i == 0 || bytes[i - 1] == 0x20 || bytes[i - 1] == 0x09 || bytes[i - 1] == 0x0A || bytes[i - 1] == 0x0D
      if b == UInt8(ascii: "#") && afterBlank && !inScalar[i] {
        var j = i
        while j < bytes.count && bytes[j] != 0x0A && bytes[j] != 0x0D { j += 1 }
        result[Array(bytes[i..<j]), default: 0] += 1
        i = j
        continue
      }
      i += 1
    }
    return result
  }
}
