import ArgumentParser
import Foundation
import KubeHarden
import KubeHardenOutput
import YAMLSource

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// kubeharden: fixes insecure Kubernetes workload settings with minimal, lossless edits.
@main
struct KubeHardenCommand: ParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "kubeharden",
    abstract: "Fix insecure Kubernetes workload settings (OWASP K01) with minimal edits that keep every other byte.",
    discussion: """
      Exit status: 0 nothing to report, 1 findings or changes (check, diff), 2 errors in an input.
      Exempt a workload with the annotation kubeharden.io/skip: "<pass-id>,..." (or kubeharden.io/skip.<container>).
      """,
    version: version,
    subcommands: [Fix.self, Diff.self, Check.self, Review.self, Rules.self, Explain.self])
}

/// Helpers shared by the subcommands.
enum CLI {
  static func writeStdout(_ bytes: [UInt8]) {
    try? FileIO.write(fd: STDOUT_FILENO, bytes)
  }

  static func writeStdout(_ text: String) { writeStdout(Array(text.utf8)) }

  static func writeStderr(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
  }

  static func readStdin() -> [UInt8] {
    (try? FileIO.read(fd: STDIN_FILENO, limit: Int.max)) ?? []
  }

  static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

  /// Expands paths (stdin when none are given and stdin is not a terminal).
  static func inputs(_ options: CommonOptions) throws -> (inputs: [Input], errors: [FileReport], leftovers: [String]) {
    var paths = options.paths
    if paths.isEmpty {
      guard !stdinIsTerminal else { throw ValidationError("give files or directories, or '-' to read standard input") }
      paths = ["-"]
    }
    var expansionErrors: [(String, String)] = []
    var leftovers: [String] = []
    let inputs = InputCollector.collect(paths, errors: &expansionErrors, leftovers: &leftovers)
    // An error about a path (it does not exist) is not in a file: it has no line and column.
    let errors = expansionErrors.map { FileReport(path: $0.0, original: [], error: FileError(line: 0, column: 0, message: $0.1)) }
    for path in paths where path != "-" && !expansionErrors.contains(where: { $0.0 == path }) {
      var info = stat()
      guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { continue }
      let prefix = path.hasSuffix("/") ? path : path + "/"
      if !inputs.contains(where: { $0.path.hasPrefix(prefix) || ($0.isChart && $0.path + "/" == prefix) }) {
        writeStderr("kubeharden: note: \(path) holds no manifests (*.yaml, *.yml, *.json outside hidden folders)\n")
      }
    }
    return (inputs, errors, leftovers)
  }

  /// Prints `path:line:col: error: message` for every failed file, with the source line and a caret.
  static func printErrors(_ reports: [FileReport]) {
    for report in reports {
      guard let error = report.error else { continue }
      var text = error.formatted(path: report.path) + "\n"
      if !report.original.isEmpty, error.line >= 1 {
        let source = SourceBuffer(report.original)
        let table = LineTable(source)
        if error.line <= table.lineCount {
          let line = source.text(table.range(ofLine: error.line))
          if line.count <= 200 {
            text += "  " + line + "\n  " + String(repeating: " ", count: max(0, min(error.column - 1, line.count))) + "^\n"
          }
        }
      }
      writeStderr(text)
    }
  }

  /// After a SIGINT/SIGTERM: say that the results are incomplete and exit 130, so an interrupted
  /// run never looks finished (files not reached were neither checked nor fixed).
  static func stopIfInterrupted() throws {
    guard interruptRequested != 0 else { return }
    writeStderr("kubeharden: interrupted; results are incomplete (files not reached were left as they were)\n")
    throw ExitCode(130)
  }

  static var reportTool: ReportTool { ReportTool(version: KubeHardenCommand.version) }
}
