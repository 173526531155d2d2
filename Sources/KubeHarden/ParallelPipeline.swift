import Dispatch
import Synchronization
import YAMLSource

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

extension Pipeline {
  /// Files at least this large are split into parts at document boundaries, a few per core.
  public static let defaultParallelThreshold = 2 << 20

  static var cores: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

  /// Processes the parts of a large file in parallel and joins them: edits and findings are
  /// shifted to whole-file offsets and located in the whole file. Returns nil when the file does
  /// not split, or when a part fails (the caller then processes the file whole, so errors carry
  /// whole-file positions and document numbers).
  func processInParallel(path: String, bytes: [UInt8]) -> FileReport? {
    // Many small parts per core (parts of at least 256 KiB): when one core takes the last
    // part, the others' parts in hand are small, so no core idles long at the end (with 4 parts
    // per core one of 2 cores sat idle for up to 0.3 s of a 1 s run). Only the parts in hand
    // hold a copy of their input at any time (the peak memory of a large stream stays low).
    let cuts = DocumentSplitter.cuts(bytes, parts: min(Pipeline.cores * 16, max(2, bytes.count >> 18)))
    guard cuts.count > 2 else { return nil }
    var split = self
    split.locateFindings = false
    split.keepEdits = true
    let part = split
    let results = Mutex<[FileReport?]>(Array(repeating: nil, count: cuts.count - 1))
    DispatchQueue.concurrentPerform(iterations: cuts.count - 1) { index in
      var report = part.processWhole(path: path, bytes: Array(bytes[cuts[index]..<cuts[index + 1]]))
      // The whole file's text is written from the original and the part's edits: the part's
      // copy of its input and its fixed text are freed now.
      report.original = []
      report.fixed = []
      results.withLock { $0[index] = report }
    }
    let reports = results.withLock { $0.compactMap { $0 } }
    guard reports.count == cuts.count - 1, reports.allSatisfy({ $0.error == nil }) else { return nil }
    // A namespace that two parts add a LimitRange for, or that one part covers and another adds
    // one for: the file is processed whole, its documents in order (rare: Namespaces are few).
    var namespaces = NamespaceIndex()
    for report in reports {
      if !report.namespaces.missing.isEmpty && !namespaces.missing.isDisjoint(with: report.namespaces.missing) { return nil }
      namespaces.add(report.namespaces)
    }
    guard namespaces.coveredInFile.isEmpty else { return nil }
    let lines = keepFindings ? LineTable(SourceBuffer(bytes)) : nil
    func locate(_ offset: Int) -> SourceLocation {
      lines?.location(of: offset) ?? SourceLocation(offset: offset, line: 0, column: 0)
    }
    func shift(_ edit: Edit, by base: Int) -> Edit {
      Edit(range: (edit.range.lowerBound + base)..<(edit.range.upperBound + base), replacement: edit.replacement, order: edit.order)
    }
    var edits: [Edit] = []
    var findings: [Finding] = []
    var counts = FindingCounts()
    let fixed = Pipeline.write(bytes, cuts: cuts, edits: reports.map(\.edits))
    for index in reports.indices {
      let base = cuts[index]
      let report = reports[index]
      if keepFindings { edits += report.edits.map { shift($0, by: base) } }
      counts.add(report.counts)
      for var finding in report.findings {
        finding.range = (finding.range.lowerBound + base)..<(finding.range.upperBound + base)
        finding.start = locate(finding.range.lowerBound)
        finding.end = locate(finding.range.upperBound)
        if var fix = finding.fix {
          fix.edits = fix.edits.map { shift($0, by: base) }
          finding.fix = fix
        }
        if case .exempted(let reason, let location?) = finding.status {
          finding.status = .exempted(reason: reason, location: locate(location.offset + base))
        }
        findings.append(finding)
      }
    }
    // Parts are separate documents, each verified: the whole file's fixed text is theirs in order.
    var joined = FileReport(path: path, original: bytes, edits: edits, fixed: fixed, findings: findings, counts: counts)
    joined.namespaces = namespaces
    return joined
  }
}

extension Pipeline {
  /// The fixed text of a split file: each part (`bytes[cuts[i]..<cuts[i + 1]]` with its ordered
  /// edits, relative to the part) written by its own worker into one buffer.
  static func write(_ bytes: [UInt8], cuts: [Int], edits: [[Edit]]) -> [UInt8] {
    var starts = [0]
    for (index, partEdits) in edits.enumerated() {
      starts.append(starts.last! + EditSet.outputCount(of: partEdits, sourceCount: cuts[index + 1] - cuts[index]))
    }
    let offsets = starts
    return [UInt8](unsafeUninitializedCapacity: offsets.last!) { buffer, count in
      let destination = UnsafeSendablePointer(UnsafeMutableRawPointer(buffer.baseAddress))
      bytes.withUnsafeBufferPointer { source in
        let input = UnsafeSendableBuffer(source)
        DispatchQueue.concurrentPerform(iterations: edits.count) { index in
          guard let to = destination.pointer else { return }
          let part = UnsafeBufferPointer(rebasing: input.buffer[cuts[index]..<cuts[index + 1]])
          EditSet.write(
            edits[index], source: part,
            to: UnsafeMutableRawBufferPointer(start: to + offsets[index], count: offsets[index + 1] - offsets[index]))
        }
      }
      count = offsets.last!
    }
  }
}

/// A read-only buffer handed to concurrent workers.
struct UnsafeSendableBuffer: @unchecked Sendable {
  let buffer: UnsafeBufferPointer<UInt8>
  init(_ buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }
}

/// A raw pointer handed to concurrent workers that write disjoint ranges behind it.
struct UnsafeSendablePointer: @unchecked Sendable {
  let pointer: UnsafeMutableRawPointer?
  init(_ pointer: UnsafeMutableRawPointer?) { self.pointer = pointer }
}

/// Finds places where a YAML stream can be cut into independent parts: the starts of lines that
/// begin with the document marker `---`. YAML forbids such a line inside any scalar, so it always
/// starts a document (a file where it would not is invalid, and the whole-file run reports it).
enum DocumentSplitter {
  /// Offsets `[0, c1, ..., count]` cutting `bytes` into up to `parts` pieces of similar size.
  static func cuts(_ bytes: [UInt8], parts: Int) -> [Int] {
    var cuts = [0]
    guard parts > 1 else { return cuts + [bytes.count] }
    for k in 1..<parts {
      var i = max(bytes.count / parts * k, (cuts.last ?? 0) + 1)
      // Move to the start of the next line.
      while i < bytes.count && bytes[i - 1] != UInt8(ascii: "\n") { i += 1 }
      while i < bytes.count {
        if isDocumentStart(bytes, at: i) && !followsDirective(bytes, at: i) {
          cuts.append(i)
          break
        }
        while i < bytes.count && bytes[i] != UInt8(ascii: "\n") { i += 1 }
        i += 1
      }
    }
    return cuts + [bytes.count]
  }

  static func isDocumentStart(_ bytes: [UInt8], at i: Int) -> Bool {
    guard i + 3 <= bytes.count, bytes[i] == UInt8(ascii: "-"), bytes[i + 1] == UInt8(ascii: "-"), bytes[i + 2] == UInt8(ascii: "-")
    else { return false }
    guard i + 3 < bytes.count else { return true }
    let next = bytes[i + 3]
    return next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") || next == UInt8(ascii: "\n") || next == UInt8(ascii: "\r")
  }

  /// Whether the last line before `i` that is neither blank nor a comment is a directive (`%YAML`):
  /// directives belong to the document that follows, so the stream must not be cut there.
  static func followsDirective(_ bytes: [UInt8], at i: Int) -> Bool {
    var end = i - 1  // the line break before the marker
    while end > 0 {
      var start = end
      while start > 0 && bytes[start - 1] != UInt8(ascii: "\n") { start -= 1 }
      var j = start
      while j < end && (bytes[j] == UInt8(ascii: " ") || bytes[j] == UInt8(ascii: "\t") || bytes[j] == UInt8(ascii: "\r")) { j += 1 }
      if j < end && bytes[j] != UInt8(ascii: "#") { return bytes[j] == UInt8(ascii: "%") }
      end = start - 1
    }
    return false
  }
}
