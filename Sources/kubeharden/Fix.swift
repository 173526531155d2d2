import ArgumentParser
import Foundation
import KubeHarden
import Synchronization

/// `kubeharden fix`: rewrites files in place, or standard input to standard output.
struct Fix: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Fix files in place ('-' or no path with piped input: standard input to standard output).",
    discussion: "Only files that change are written, atomically, keeping their mode. Exit 0, or 2 if any input had an error.")

  @OptionGroup var options: CommonOptions

  func validate() throws { try options.validateFlags() }

  func run() throws {
    Runner.installSignalHandlers()
    let (inputs, expansionErrors, leftovers) = try CLI.inputs(options)
    let pending = Mutex<[PendingWrite]>([])
    // Which report each pending write belongs to, by the report's path: a chart input has
    // several reports (its values.yaml and its templates), so input indexes are not report indexes.
    let pendingPaths = Mutex<[Int: String]>([:])
    var reports =
      expansionErrors
      + Runner(options: options, keepFindings: false).run(inputs: inputs, readStdin: CLI.readStdin) {
        index, report, identity in
        guard report.changed else { return }
        do {
          let id = pendingPaths.withLock { paths in
            let id = paths.count
            paths[id] = report.path
            return id
          }
          let write = try FileIO.prepareWrite(
            report.fixed, to: report.path, identity: identity, mayBeLink: inputs[index].mayBeLink || inputs[index].isChart, index: id)
          pending.withLock { $0.append(write) }
        } catch {
          report.error = FileError(message: "not written: \(error)")
        }
      }
    let prepared = pending.withLock { $0 }
    var written = 0
    if interruptRequested != 0 {
      FileIO.discard(prepared)
    } else {
      let failures = FileIO.commit(prepared) { interruptRequested != 0 }
      let paths = pendingPaths.withLock { $0 }
      for (id, failure) in failures where failure.description != FileIOError.interrupted.description {
        guard let path = paths[id], let index = reports.firstIndex(where: { $0.path == path }) else { continue }
        reports[index].error = FileError(message: "not written: \(failure)")
      }
      written = prepared.count - failures.count
    }
    // Temporary files of earlier runs that were killed before they could clean up: theirs only
    // (the name's process is gone), never a file of a run still going.
    if interruptRequested == 0 {
      for path in leftovers where unlink(path) == 0 && !options.quiet {
        CLI.writeStderr("kubeharden: removed \(path), a temporary file left by an earlier run that was killed\n")
      }
    }
    for report in reports where report.path == "<stdin>" && report.error == nil {
      CLI.writeStdout(report.fixed)
    }
    CLI.printErrors(reports)
    if !options.quiet { CLI.writeStderr(Summary(reports, written: written).text) }
    try CLI.stopIfInterrupted()
    if reports.contains(where: { $0.error != nil }) { throw ExitCode(2) }
  }
}

/// The end-of-run summary on standard error.
struct Summary {
  let reports: [FileReport]
  let written: Int

  init(_ reports: [FileReport], written: Int) {
    self.reports = reports
    self.written = written
  }

  var text: String {
    var counts = FindingCounts()
    for report in reports where report.error == nil { counts.add(report.counts) }
    let fixedByPass = counts.fixableByPass
    let unfixable = counts.unfixable
    let exempted = counts.exempted
    let errors = reports.filter { $0.error != nil }.count
    let fixes = fixedByPass.values.reduce(0, +)
    var line =
      "kubeharden: \(reports.count) file\(reports.count == 1 ? "" : "s") scanned, \(written) changed, \(fixes) fix\(fixes == 1 ? "" : "es") applied"
    if !fixedByPass.isEmpty {
      line += " (" + fixedByPass.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
    }
    line +=
      "; \(unfixable) finding\(unfixable == 1 ? "" : "s") left for manual review, \(exempted) exempted, \(errors) error\(errors == 1 ? "" : "s")\n"
    // As ruff says it: what was held back, and the flag that applies it.
    let unsafe = counts.unsafe
    if unsafe > 0 {
      line +=
        "kubeharden: \(unsafe) unsafe fix\(unsafe == 1 ? "" : "es") not applied ("
        + counts.unsafeByPass.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        + "); review them with 'kubeharden diff --unsafe-fixes', apply them with --unsafe-fixes\n"
    }
    return line
  }
}
