// kubeharden-bench: how far tree building and the whole fix pipeline are from a bare libyaml
// event scan, measured in one run on the same bytes.
//
//   swift run -c release kubeharden-bench FILE [--repeat N]
//
// Phases, each timed best of N (default 3) in this process on the same in-memory bytes:
//   scan   YAMLParser.scanEvents: libyaml events counted, nothing built (the floor)
//   tree   YAMLParser.forEachDocument: node trees built, one document alive at a time
//   parse  YAMLParser.parse: node trees built, every document kept
//   fix    Pipeline(keepFindings: false).process, as `kubeharden fix` runs it: parse, passes,
//          edits, apply, verification (re-parse, data hash, convergence); large inputs in parts
//          on all cores
// Peak memory: each phase runs once more in a fresh child process of this binary
// (`--phase NAME`), which reports its VmHWM from /proc/self/status, so every peak is that
// phase's alone (the input bytes and the runtime included).
//
// Not a test: it prints figures and checks them against the targets, and exits 0 either way
// (1 only for usage errors or an unreadable file).

import CLibYAML
import Foundation
import KubeHarden
import YAMLSource

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

// MARK: - Targets

enum Target {
  /// Tree building (streaming) at least this fraction of the scan's throughput.
  static let treeOverScan = 0.70
  /// The whole fix pipeline at least this fraction of the scan's throughput.
  static let fixOverScan = 0.50
  /// Peak resident memory at most this multiple of the input size.
  static let peakOverInput = 4.0
}

// MARK: - Command line

struct Arguments {
  var file = ""
  var repeats = 3
  var phase: Phase?

  static let usage = """
    usage: kubeharden-bench FILE [--repeat N]
           kubeharden-bench FILE --phase scan|tree|parse|fix   (one phase once; prints its peak RSS)
    """

  static func parse(_ raw: [String]) -> Arguments? {
    var result = Arguments()
    var index = 0
    while index < raw.count {
      let argument = raw[index]
      switch argument {
      case "--repeat", "-n":
        guard index + 1 < raw.count, let n = Int(raw[index + 1]), n >= 1 else { return nil }
        result.repeats = n
        index += 1
      case "--phase":
        guard index + 1 < raw.count, let phase = Phase(rawValue: raw[index + 1]) else { return nil }
        result.phase = phase
        index += 1
      case "-h", "--help":
        return nil
      default:
        guard result.file.isEmpty, !argument.hasPrefix("--") else { return nil }
        result.file = argument
      }
      index += 1
    }
    return result.file.isEmpty ? nil : result
  }
}

enum Phase: String, CaseIterable {
  case scan, tree, parse, fix

  var title: String {
    switch self {
    case .scan: return "libyaml event scan (YAMLParser.scanEvents)"
    case .tree: return "tree, streaming (YAMLParser.forEachDocument)"
    case .parse: return "tree, all kept (YAMLParser.parse)"
    case .fix: return "fix pipeline (as kubeharden fix)"
    }
  }

  /// Runs the phase once over `bytes`; returns a one-line summary of what it did, so the work
  /// cannot be optimised away and a reader can check it did what it says.
  func run(_ bytes: [UInt8], path: String) -> String {
    switch self {
    case .scan:
      let events = YAMLParser.scanEvents(bytes)
      return events < 0 ? "libyaml error" : "\(events) events"
    case .tree:
      var documents = 0
      var nodes = 0
      do {
        try YAMLParser.forEachDocument(SourceBuffer(bytes)) { document in
          documents += 1
          nodes += document.nodeCount
        }
      } catch {
        return "error: \(error)"
      }
      return "\(documents) documents, \(nodes) nodes"
    case .parse:
      do {
        let documents = try YAMLParser.parse(SourceBuffer(bytes))
        return "\(documents.count) documents, \(documents.reduce(0) { $0 + $1.nodeCount }) nodes"
      } catch {
        return "error: \(error)"
      }
    case .fix:
      let report = Pipeline(keepFindings: false).process(path: path, bytes: bytes)
      if let error = report.error { return "error: \(error)" }
      let findings = report.counts.fixableByPass.values.reduce(0, +) + report.counts.unfixable + report.counts.exempted
      return "\(report.edits.count) edits, \(findings) findings, \(report.fixed.count) bytes out"
    }
  }
}

// MARK: - Measuring

func now() -> Double {
  var t = timespec()
  clock_gettime(CLOCK_MONOTONIC, &t)
  return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// A field of /proc/self/status in KiB (VmHWM: peak resident set; VmRSS: current), nil off Linux.
func procStatusKiB(_ field: String) -> Int? {
  guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
  for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
    let digits = line.dropFirst(field.count + 1).filter { $0.isNumber }
    return Int(digits)
  }
  return nil
}

/// Reads a file straight into one exactly sized array (no intermediate `Data` copy, which would
/// double the peak for a moment).
func readFile(_ path: String) -> [UInt8]? {
  let fd = open(path, O_RDONLY)
  guard fd >= 0 else { return nil }
  defer { close(fd) }
  var info = stat()
  guard fstat(fd, &info) == 0 else { return nil }
  let size = Int(info.st_size)
  var failed = false
  let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
    var offset = 0
    while offset < size {
      let n = read(fd, buffer.baseAddress! + offset, size - offset)
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { break }
      offset += n
    }
    failed = offset != size
    count = offset
  }
  return failed ? nil : bytes
}

/// The path of this executable, to re-invoke it for one phase.
func selfPath() -> String {
  if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return link }
  let first = CommandLine.arguments[0]
  if first.contains("/") { return URL(fileURLWithPath: first).standardizedFileURL.path }
  return Bundle.main.executablePath ?? first
}

struct PeakMemory {
  var peakKiB: Int
  /// Resident set just before the input was read (the runtime's own share).
  var baselineKiB: Int
  var summary: String
}

/// Runs `phase` once in a fresh child process and parses what it prints.
func measurePeak(_ phase: Phase, file: String) -> PeakMemory? {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: selfPath())
  process.arguments = [file, "--phase", phase.rawValue]
  let pipe = Pipe()
  process.standardOutput = pipe
  do { try process.run() } catch { return nil }
  let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
  process.waitUntilExit()
  guard process.terminationStatus == 0 else { return nil }
  var fields: [String: String] = [:]
  for line in output.split(separator: "\n") {
    guard let eq = line.firstIndex(of: "=") else { continue }
    fields[String(line[..<eq])] = String(line[line.index(after: eq)...])
  }
  guard let peak = fields["vmhwm_kib"].flatMap(Int.init), let baseline = fields["baseline_kib"].flatMap(Int.init) else {
    return nil
  }
  return PeakMemory(peakKiB: peak, baselineKiB: baseline, summary: fields["result"] ?? "")
}

// MARK: - Output

func fmt(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
  let count = text.count
  guard count < width else { return text }
  let fill = String(repeating: " ", count: width - count)
  return right ? fill + text : text + fill
}

func verdict(_ ok: Bool) -> String { ok ? "ok" : "MISSED" }

// MARK: - Main

func main() -> Int32 {
  guard let arguments = Arguments.parse(Array(CommandLine.arguments.dropFirst())) else {
    FileHandle.standardError.write(Data((Arguments.usage + "\n").utf8))
    return 1
  }
  let baseline = procStatusKiB("VmRSS") ?? 0
  guard let bytes = readFile(arguments.file) else {
    FileHandle.standardError.write(Data("kubeharden-bench: cannot read \(arguments.file)\n".utf8))
    return 1
  }

  // Child mode: one phase, once; report the peak resident set.
  if let phase = arguments.phase {
    let result = phase.run(bytes, path: arguments.file)
    print("phase=\(phase.rawValue)")
    print("result=\(result)")
    print("baseline_kib=\(baseline)")
    print("vmhwm_kib=\(procStatusKiB("VmHWM") ?? 0)")
    return 0
  }

  let mb = Double(bytes.count) / 1e6
  let version = String(cString: yaml_get_version_string())
  print("kubeharden-bench: \(arguments.file): \(bytes.count) bytes (\(fmt(mb, 2)) MB), best of \(arguments.repeats), libyaml \(version)")

  // Timings, all in this process on the same bytes.
  var best: [Phase: Double] = [:]
  var summaries: [Phase: String] = [:]
  for phase in Phase.allCases {
    var fastest = Double.infinity
    for _ in 0..<arguments.repeats {
      let t0 = now()
      let summary = phase.run(bytes, path: arguments.file)
      let elapsed = now() - t0
      fastest = min(fastest, elapsed)
      summaries[phase] = summary
    }
    best[phase] = fastest
  }

  // Peaks, each phase alone in a fresh child process.
  var peaks: [Phase: PeakMemory] = [:]
  for phase in Phase.allCases {
    peaks[phase] = measurePeak(phase, file: arguments.file)
  }

  let scan = best[.scan]!
  func mbps(_ phase: Phase) -> Double { mb / best[phase]! }
  print("")
  print(
    "\(pad("phase", 46)) \(pad("best s", 9, right: true)) \(pad("MB/s", 9, right: true)) \(pad("x scan", 7, right: true)) \(pad("peak MiB", 9, right: true)) \(pad("peak/in", 8, right: true))  what it did"
  )
  for phase in Phase.allCases {
    let seconds = best[phase]!
    let ratio = scan / seconds
    var peakText = "n/a"
    var multiple = "n/a"
    if let peak = peaks[phase] {
      peakText = fmt(Double(peak.peakKiB) / 1024)
      multiple = bytes.isEmpty ? "n/a" : fmt(Double(peak.peakKiB) * 1024 / Double(bytes.count), 2) + "x"
    }
    print(
      "\(pad(phase.title, 46)) \(pad(fmt(seconds, 3), 9, right: true)) \(pad(fmt(mbps(phase)), 9, right: true)) \(pad(fmt(ratio * 100, 0) + "%", 7, right: true)) \(pad(peakText, 9, right: true)) \(pad(multiple, 8, right: true))  \(summaries[phase] ?? "")"
    )
  }
  let base = peaks[.scan]?.baselineKiB ?? baseline
  print(
    "(peak = VmHWM of a child running that phase alone: runtime (~\(fmt(Double(base) / 1024)) MiB before reading) + input + the phase's own memory)"
  )

  // Ratios against the targets.
  let treeRatio = scan / best[.tree]!
  let parseRatio = scan / best[.parse]!
  let fixRatio = scan / best[.fix]!
  print("")
  print("targets:")
  print(
    "  tree/scan      \(pad(fmt(treeRatio * 100, 0) + "%", 6, right: true))   target >= \(fmt(Target.treeOverScan * 100, 0))%   \(verdict(treeRatio >= Target.treeOverScan))"
  )
  print("  (parse/scan    \(pad(fmt(parseRatio * 100, 0) + "%", 6, right: true))   all documents kept; for information)")
  print(
    "  pipeline/scan  \(pad(fmt(fixRatio * 100, 0) + "%", 6, right: true))   target >= \(fmt(Target.fixOverScan * 100, 0))%   \(verdict(fixRatio >= Target.fixOverScan))"
  )
  for phase in Phase.allCases {
    guard let peak = peaks[phase], !bytes.isEmpty else {
      print("  peak \(pad(phase.rawValue, 6)) n/a (child process failed or no /proc/self/status)")
      continue
    }
    let multiple = Double(peak.peakKiB) * 1024 / Double(bytes.count)
    let net = Double(max(0, peak.peakKiB - peak.baselineKiB)) * 1024 / Double(bytes.count)
    // Keeping every document's tree is not how kubeharden runs: for information only.
    let target =
      phase == .parse
      ? pad("(all documents kept; for information)", 35)
      : "target <= \(fmt(Target.peakOverInput, 0))x input   \(pad(verdict(multiple <= Target.peakOverInput), 6))"
    print(
      "  peak \(pad(phase.rawValue, 6))    \(pad(fmt(multiple, 2) + "x", 6, right: true))   \(target)  (\(fmt(net, 2))x without the runtime's \(fmt(Double(peak.baselineKiB) / 1024)) MiB)"
    )
  }

  // One machine-readable line for scripts.
  var fields = ["bytes=\(bytes.count)", "repeat=\(arguments.repeats)"]
  for phase in Phase.allCases {
    fields.append("\(phase.rawValue)_s=\(fmt(best[phase]!, 4))")
    fields.append("\(phase.rawValue)_mbps=\(fmt(mbps(phase)))")
    if let peak = peaks[phase] {
      fields.append("\(phase.rawValue)_peak_kib=\(peak.peakKiB)")
      fields.append("\(phase.rawValue)_peak_x=\(fmt(Double(peak.peakKiB) * 1024 / Double(max(1, bytes.count)), 2))")
    }
  }
  fields.append("tree_over_scan=\(fmt(treeRatio, 3))")
  fields.append("parse_over_scan=\(fmt(parseRatio, 3))")
  fields.append("fix_over_scan=\(fmt(fixRatio, 3))")
  print("")
  print("RESULT " + fields.joined(separator: " "))
  return 0
}

exit(main())
