import Dispatch
import Foundation
import XCTest

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Where the repository and the built `kubeharden` binary are.
enum TestPaths {
  /// The package root: this file is `Tests/CLITests/CLITestSupport.swift`.
  static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// `../shared` next to the repository (or `$KUBEHARDEN_SHARED`), when present.
  static var shared: URL? {
    if let configured = ProcessInfo.processInfo.environment["KUBEHARDEN_SHARED"], !configured.isEmpty {
      return URL(fileURLWithPath: configured)
    }
    let candidate = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
    return FileManager.default.fileExists(atPath: candidate.path) ? candidate : nil
  }

  /// The `kubeharden` executable built with the tests: next to the `.xctest` bundle (the folder
  /// SwiftPM builds into, whatever the scratch path), else `.build/debug/kubeharden`.
  static let binary: URL? = {
    let fileManager = FileManager.default
    var candidates: [URL] = []
    if let configured = ProcessInfo.processInfo.environment["KUBEHARDEN_BINARY"], !configured.isEmpty {
      candidates.append(URL(fileURLWithPath: configured))
    }
    for bundle in [Bundle.main] + Bundle.allBundles {
      let url = bundle.bundleURL
      candidates.append(url.appendingPathComponent("kubeharden"))
      candidates.append(url.deletingLastPathComponent().appendingPathComponent("kubeharden"))
    }
    if let argument = CommandLine.arguments.first(where: { $0.hasSuffix(".xctest") }) {
      candidates.append(URL(fileURLWithPath: argument).deletingLastPathComponent().appendingPathComponent("kubeharden"))
    }
    candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kubeharden"))
    candidates.append(repositoryRoot.appendingPathComponent(".build/debug/kubeharden"))
    return candidates.first { url in
      var isDirectory: ObjCBool = false
      return fileManager.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
        && fileManager.isExecutableFile(atPath: url.path)
    }
  }()

  static func requireBinary() throws -> URL {
    guard let binary else {
      throw XCTSkip("SKIPPED: the kubeharden binary was not found next to the test bundle (build it, or set KUBEHARDEN_BINARY)")
    }
    return binary
  }
}

/// What a finished process left behind.
struct ProcessOutput {
  var status: Int32
  var stdout: [UInt8]
  var stderr: String
  /// Terminated by a signal (`status` is then the signal number).
  var signaled = false
  var seconds: TimeInterval = 0
}

/// Environment variables that would change kubeharden's output and that a CI runner (or the
/// shell running the tests) may set; they are removed unless a test passes them explicitly.
private let scrubbedEnvironment: Set<String> = [
  "GITHUB_ACTIONS", "NO_COLOR", "KUBEHARDEN_TEST_FAIL_WRITE", "KUBEHARDEN_TEST_DELETE_BEFORE_WRITE", "CLICOLOR_FORCE",
]

/// A started process whose standard streams go through temporary files, so a large output
/// never blocks on a pipe. `wait` collects what it left behind.
final class StartedProcess {
  let process: Process
  let scratch: URL
  let started = Date()
  let finished = DispatchSemaphore(value: 0)
  var pid: pid_t { process.processIdentifier }

  /// Starts an executable with the given arguments, standard input, working folder and extra
  /// environment.
  init(_ executable: URL, _ args: [String], stdin: [UInt8]? = nil, cwd: URL? = nil, env: [String: String] = [:]) throws {
    let fileManager = FileManager.default
    scratch = fileManager.temporaryDirectory.appendingPathComponent("kubeharden-run-\(UUID().uuidString)")
    try fileManager.createDirectory(at: scratch, withIntermediateDirectories: true)
    let inURL = scratch.appendingPathComponent("stdin")
    fileManager.createFile(atPath: inURL.path, contents: Data(stdin ?? []))
    fileManager.createFile(atPath: scratch.appendingPathComponent("stdout").path, contents: nil)
    fileManager.createFile(atPath: scratch.appendingPathComponent("stderr").path, contents: nil)
    process = Process()
    process.executableURL = executable
    process.arguments = args
    if let cwd { process.currentDirectoryURL = cwd }
    var environment = ProcessInfo.processInfo.environment.filter { !scrubbedEnvironment.contains($0.key) }
    environment.merge(env) { _, new in new }
    process.environment = environment
    process.standardInput = FileHandle(forReadingAtPath: stdin == nil ? "/dev/null" : inURL.path)
    process.standardOutput = FileHandle(forWritingAtPath: scratch.appendingPathComponent("stdout").path)
    process.standardError = FileHandle(forWritingAtPath: scratch.appendingPathComponent("stderr").path)
    process.terminationHandler = { [finished] _ in finished.signal() }
    do {
      try process.run()
    } catch {
      try? fileManager.removeItem(at: scratch)
      throw error
    }
  }

  /// Waits at most `timeout` seconds (then the process is killed and the status is -1) and
  /// returns its status and output.
  func wait(timeout: TimeInterval) -> ProcessOutput {
    var timedOut = false
    if finished.wait(timeout: .now() + timeout) == .timedOut {
      timedOut = true
      kill(pid, SIGKILL)
      _ = finished.wait(timeout: .now() + 10)
    }
    let seconds = Date().timeIntervalSince(started)
    let out = (try? Data(contentsOf: scratch.appendingPathComponent("stdout"))).map { Array($0) } ?? []
    var err = (try? Data(contentsOf: scratch.appendingPathComponent("stderr"))).map { String(decoding: $0, as: UTF8.self) } ?? ""
    try? FileManager.default.removeItem(at: scratch)
    if timedOut {
      err += "\n[test support: timed out after \(Int(timeout)) s and was killed]"
      return ProcessOutput(status: -1, stdout: out, stderr: err, seconds: seconds)
    }
    return ProcessOutput(
      status: process.terminationStatus, stdout: out, stderr: err, signaled: process.terminationReason == .uncaughtSignal,
      seconds: seconds)
  }
}

/// Runs an executable to its end (see `StartedProcess`), waiting at most `timeout` seconds.
/// Status -1 means it could not run or timed out; the reason is in `stderr`.
func runProcess(
  _ executable: URL, _ args: [String], stdin: [UInt8]? = nil, cwd: URL? = nil, env: [String: String] = [:],
  timeout: TimeInterval = 120
) -> ProcessOutput {
  do {
    return try StartedProcess(executable, args, stdin: stdin, cwd: cwd, env: env).wait(timeout: timeout)
  } catch {
    return ProcessOutput(status: -1, stdout: [], stderr: "cannot run \(executable.path): \(error)")
  }
}

/// Runs the built `kubeharden` (see `TestPaths.binary`). Status -1 means it could not run or
/// timed out; the reason is in `stderr`.
func runKubeharden(
  _ args: [String], stdin: [UInt8]? = nil, cwd: URL? = nil, env: [String: String] = [:], timeout: TimeInterval = 120
) -> (status: Int32, stdout: [UInt8], stderr: String) {
  guard let binary = TestPaths.binary else {
    return (-1, [], "the kubeharden binary was not found next to the test bundle")
  }
  let result = runProcess(binary, args, stdin: stdin, cwd: cwd, env: env, timeout: timeout)
  return (result.status, result.stdout, result.stderr)
}

extension XCTestCase {
  /// `runKubeharden` under the short name the tests use (a member, because `XCTestCase.run()`
  /// would hide a global function of that name).
  func run(
    _ args: [String], stdin: [UInt8]? = nil, cwd: URL? = nil, env: [String: String] = [:], timeout: TimeInterval = 120
  ) -> (status: Int32, stdout: [UInt8], stderr: String) {
    runKubeharden(args, stdin: stdin, cwd: cwd, env: env, timeout: timeout)
  }
}

/// A fresh temporary folder, removed (immutable flags and read-only modes undone) when the
/// test ends.
extension XCTestCase {
  func makeTemporaryDirectory(_ label: String = #function) throws -> URL {
    let safe = label.filter { $0.isLetter || $0.isNumber }
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kubeharden-cli-\(safe)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    // Resolve /tmp symlinks (macOS: /var -> /private/var) so that paths compare as printed.
    let resolved = url.resolvingSymlinksInPath()
    addTeardownBlock {
      if let walker = FileManager.default.enumerator(atPath: resolved.path) {
        for case let relative as String in walker {
          _ = chmod(resolved.appendingPathComponent(relative).path, 0o755)
        }
      }
      try? FileManager.default.removeItem(at: resolved)
    }
    return resolved
  }
}

/// Small file helpers.
enum Files {
  static func write(_ text: String, to url: URL) throws { try write(Array(text.utf8), to: url) }

  static func write(_ bytes: [UInt8], to url: URL) throws {
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
  }

  static func read(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

  static func statInfo(_ path: String) -> stat? {
    var info = stat()
    return stat(path, &info) == 0 ? info : nil
  }

  static func mode(_ path: String) -> mode_t? { statInfo(path).map { $0.st_mode & 0o7777 } }

  static func isSymlink(_ path: String) -> Bool {
    let type = (try? FileManager.default.attributesOfItem(atPath: path))?[.type] as? FileAttributeType
    return type == .typeSymbolicLink
  }

  /// Every file name under `folder` (recursively) that looks like a kubeharden temporary file.
  static func temporaryLeftovers(in folder: URL) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: folder.path) else { return [] }
    var leftovers: [String] = []
    for case let relative as String in walker where (relative as NSString).lastPathComponent.contains(".kubeharden-") {
      leftovers.append(relative)
    }
    return leftovers
  }
}

/// Manifests shared by the tests.
enum Manifests {
  /// A Deployment that every pass changes.
  static let insecure = """
    # app
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          containers:
          - name: web
            image: registry.example.com/web   # pinned later
            securityContext:
              runAsGroup: 3000
    """ + "\n"

  /// A Pod with nothing to fix.
  static let compliant = """
    apiVersion: v1
    kind: Pod
    metadata:
      name: ok
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 10001
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: app
        image: registry.example.com/app:1.0
        securityContext:
          privileged: false
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 200m, memory: 256Mi}
    """ + "\n"

  /// Not valid YAML: the flow sequence on line 2 is never closed.
  static let invalid = "a: 1\nb: [1, 2\nc: 3\n"

  static let passIDs = [
    "run-as-non-root", "no-privileged", "no-privilege-escalation", "read-only-root-filesystem", "resource-limits",
    "seccomp-profile", "drop-capabilities", "privileged-workload", "host-namespaces", "host-path-volumes", "host-ports",
    "added-capabilities", "proc-mount", "apparmor-profile", "selinux-options", "sysctls", "windows-host-process",
    "host-probes-and-lifecycle", "restricted-volume-types", "namespace-limit-range",
  ]
}

extension String {
  /// Lines without their breaks, empty last element dropped.
  var nonEmptyLines: [String] { split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }

  func matches(_ pattern: String) -> Bool { range(of: pattern, options: .regularExpression) != nil }
}

/// A program on `PATH`, if installed.
func findExecutable(_ name: String) -> URL? {
  let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
  for folder in path.split(separator: ":") {
    let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
    if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
  }
  return nil
}
