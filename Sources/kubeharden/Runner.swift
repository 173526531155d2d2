import Dispatch
import Foundation
import KubeHarden
import KubeHardenHelm
import Synchronization
import YAMLSource

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Set by SIGINT/SIGTERM: workers finish the file in hand (so each file is either original or
/// fully fixed) and start no other.
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0

/// Processes inputs in parallel and hands back reports in input order.
struct Runner {
  let options: CommonOptions
  /// Keep every finding in the reports (check, diff) or only their counts (fix).
  var keepFindings = true

  /// Reports for every input (sorted by path as collected), plus errors for paths that could not
  /// be expanded. `finish` runs in the worker right after a file is processed (fix writes the
  /// file there, so disk waits overlap the work on other files) and may turn the report into an
  /// error.
  func run(
    inputs: [Input], readStdin: () -> [UInt8], finish: (@Sendable (_ index: Int, _ report: inout FileReport, FileIdentity) -> Void)? = nil
  ) -> [FileReport] {
    let resolver = ConfigurationResolver(explicitPath: options.config, options: options)
    let stdinBytes: [UInt8]? = inputs.contains(where: { $0.isStdin }) ? readStdin() : nil
    let results = ResultBox(count: inputs.count)
    let progress = Progress(total: inputs.count, enabled: !options.quiet)
    // Files that report a Namespace without a LimitRange wait for the others (see `settleNamespaces`).
    let waiting = Mutex<[(index: Int, identity: FileIdentity?)]>([])
    DispatchQueue.concurrentPerform(iterations: inputs.count) { index in
      guard interruptRequested == 0 else { return }
      let input = inputs[index]
      if input.isChart {
        var reports: [FileReport] = []
        for (report, identity) in processChart(input, resolver: resolver) {
          var report = report
          if let identity { finish?(index, &report, identity) }
          reports.append(report)
        }
        results.set(index, reports)
        progress.tick()
        return
      }
      var (report, identity) = process(input, resolver: resolver, stdin: stdinBytes)
      if !report.namespaces.missing.isEmpty {
        waiting.withLock { $0.append((index, identity)) }
      } else if let identity {
        finish?(index, &report, identity)
      }
      results.set(index, [report])
      progress.tick()
    }
    progress.finish()
    settleNamespaces(inputs, waiting.withLock { $0 }, results: results, resolver: resolver, finish: finish)
    return results.values.compactMap { $0 }.flatMap { $0 }
  }

  /// The reports of a chart folder: its `values.yaml` (read here, with what it looked like, for
  /// the check before `fix` replaces it) and the template files its findings are located in.
  func processChart(_ input: Input, resolver: ConfigurationResolver) -> [(FileReport, FileIdentity?)] {
    let valuesPath = input.path + "/values.yaml"
    let configuration: Configuration
    do {
      configuration = try resolver.configuration(for: Input(path: valuesPath, isStdin: false))
    } catch {
      return [(FileReport(path: valuesPath, original: [], error: FileError(message: error.message)), nil)]
    }
    if ConfigurationResolver.isExcluded(valuesPath, by: configuration) { return [] }
    var bytes: [UInt8]?
    var identity: FileIdentity?
    if FileManager.default.fileExists(atPath: valuesPath) {
      do {
        let read = try FileIO.readFile(valuesPath, limit: ParseLimits.default.maxBytes)
        (bytes, identity) = (read.bytes, read.identity)
      } catch {
        return [(FileReport(path: valuesPath, original: [], error: FileError(message: String(describing: error))), nil)]
      }
    }
    let reports = ChartProcessor.process(directory: input.path, valuesBytes: bytes, configuration: configuration)
    return reports.map { ($0, $0.path == valuesPath ? identity : nil) }
  }

  /// The view across files of `namespace-limit-range`: a file's Namespace gets no LimitRange
  /// when another input has one for its namespace. Only the files that reported a missing
  /// LimitRange waited; each is processed again (from the bytes it was read with) when another
  /// file covers one of its namespaces, then finished. Every other file was finished as it was
  /// processed. The same Namespace in two files (variants of one deployment, each applied on its
  /// own) gets the LimitRange in both: the same name and namespace, so one object in the cluster.
  func settleNamespaces(
    _ inputs: [Input], _ waiting: [(index: Int, identity: FileIdentity?)], results: ResultBox, resolver: ConfigurationResolver,
    finish: (@Sendable (_ index: Int, _ report: inout FileReport, FileIdentity) -> Void)?
  ) {
    guard !waiting.isEmpty else { return }
    let reports = results.values
    var union = Set<String>()
    for report in reports.compactMap({ $0 }).joined() { union.formUnion(report.namespaces.limitRanges) }
    let covered = union
    // In parallel, as the first pass was: a tree of many Namespace files must not end on one core.
    DispatchQueue.concurrentPerform(iterations: waiting.count) { item in
      let (index, identity) = waiting[item]
      guard interruptRequested == 0, var report = reports[index]?.first else { return }
      if !report.namespaces.missing.isDisjoint(with: covered), let configuration = try? resolver.configuration(for: inputs[index]) {
        var pipeline = Pipeline(configuration: configuration, keepFindings: keepFindings)
        pipeline.coveredNamespaces = covered
        report = pipeline.process(path: report.path, bytes: report.original)
      }
      if let identity { finish?(index, &report, identity) }
      results.set(index, [report])
    }
  }

  /// The report for one input, and for a file what it looked like when read.
  func process(_ input: Input, resolver: ConfigurationResolver, stdin: [UInt8]?) -> (FileReport, FileIdentity?) {
    let path = input.isStdin ? "<stdin>" : input.path
    let configuration: Configuration
    do {
      configuration = try resolver.configuration(for: input)
    } catch {
      return (FileReport(path: path, original: [], error: FileError(message: error.message)), nil)
    }
    if !input.isStdin && ConfigurationResolver.isExcluded(input.path, by: configuration) {
      if input.named {
        FileHandle.standardError.write(Data("kubeharden: note: \(input.path) is excluded by the configuration (exclude:); skipped\n".utf8))
      }
      return (FileReport(path: path, original: []), nil)
    }
    let bytes: [UInt8]
    var identity: FileIdentity?
    if input.isStdin {
      bytes = stdin ?? []
    } else {
      do {
        (bytes, identity) = try FileIO.readFile(input.path, limit: ParseLimits.default.maxBytes)
      } catch {
        return (FileReport(path: path, original: [], error: FileError(message: String(describing: error))), nil)
      }
    }
    return (Pipeline(configuration: configuration, keepFindings: keepFindings).process(path: path, bytes: bytes), identity)
  }

  /// Installs the SIGINT/SIGTERM handlers.
  static func installSignalHandlers() {
    signal(SIGINT) { _ in interruptRequested = 1 }
    signal(SIGTERM) { _ in interruptRequested = 1 }
  }
}

/// Collects results from concurrent workers.
final class ResultBox: @unchecked Sendable {
  private var storage: [[FileReport]?]
  private let lock = NSLock()
  init(count: Int) { storage = Array(repeating: nil, count: count) }
  func set(_ index: Int, _ value: [FileReport]) {
    lock.lock()
    storage[index] = value
    lock.unlock()
  }
  var values: [[FileReport]?] {
    lock.lock()
    defer { lock.unlock() }
    return storage
  }
}

/// A progress line on a terminal for runs that take more than a second.
final class Progress: @unchecked Sendable {
  let total: Int
  let enabled: Bool
  let start = Date()
  private var done = 0
  private var shown = false
  private let lock = NSLock()

  init(total: Int, enabled: Bool) {
    self.total = total
    self.enabled = enabled && isatty(STDERR_FILENO) == 1
  }

  func tick() {
    guard enabled else { return }
    lock.lock()
    defer { lock.unlock() }
    done += 1
    if Date().timeIntervalSince(start) > 1 && (done % 25 == 0 || done == total) {
      shown = true
      FileHandle.standardError.write(Data("\r\u{1B}[Kkubeharden: \(done)/\(total) files".utf8))
    }
  }

  func finish() {
    guard enabled, shown else { return }
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}
