import ArgumentParser
import Foundation
import KubeHarden

/// Options every file-processing subcommand shares: inputs and configuration overrides.
struct CommonOptions: ParsableArguments {
  @Argument(help: "Files or directories (recursing into *.yaml, *.yml, *.json; hidden folders skipped). '-' reads standard input.")
  var paths: [String] = []

  @Option(name: .long, help: "A configuration file; by default .kubeharden.yaml is searched upward from each input.")
  var config: String?

  @Option(name: .long, help: "Run only these passes (comma-separated ids).")
  var only: String?

  @Option(name: .long, help: "Do not run these passes (comma-separated ids).")
  var skip: String?

  @Option(name: .long, help: "The UID that run-as-non-root writes (default 10001).")
  var runAsUser: String?

  @Option(name: .long, help: "Default cpu request (default 200m).")
  var cpuRequest: String?

  @Option(name: .long, help: "Default memory request (default 256Mi).")
  var memoryRequest: String?

  @Option(name: .long, help: "Default cpu limit (default 500m).")
  var cpuLimit: String?

  @Option(name: .long, help: "Default memory limit (default 512Mi).")
  var memoryLimit: String?

  @Flag(
    inversion: .prefixedNo,
    help: "With read-only-root-filesystem, mount an emptyDir at /tmp (and where the image writes) in each container it fixes (default: on).")
  var tmpEmptydir: Bool?

  @Flag(help: "Apply unsafe fixes too: those that override an explicit value or that the image may not survive (check and diff show them either way).")
  var unsafeFixes = false

  @Option(name: .long, help: "The Pod Security Standards checks to run: baseline or restricted (default restricted).")
  var profile: String?

  @Flag(name: .shortAndLong, help: "No summary or progress on standard error.")
  var quiet = false

  /// Applies the command-line overrides to a configuration.
  func apply(to configuration: inout Configuration) throws(ConfigurationError) {
    if let only { configuration.enabledPasses = Set(try Configuration.passIDs(only, key: "--only")) }
    if let skip {
      for id in try Configuration.passIDs(skip, key: "--skip") { configuration.enabledPasses.remove(id) }
    }
    if let runAsUser { configuration.runAsUser = try Configuration.uid(runAsUser, key: "--run-as-user") }
    if let cpuRequest { configuration.resources.cpuRequest = try Configuration.quantity(cpuRequest, key: "--cpu-request") }
    if let memoryRequest {
      configuration.resources.memoryRequest = try Configuration.quantity(memoryRequest, key: "--memory-request")
    }
    if let cpuLimit { configuration.resources.cpuLimit = try Configuration.quantity(cpuLimit, key: "--cpu-limit") }
    if let memoryLimit { configuration.resources.memoryLimit = try Configuration.quantity(memoryLimit, key: "--memory-limit") }
    if let tmpEmptydir { configuration.tmpEmptyDir = tmpEmptydir }
    if unsafeFixes { configuration.unsafeFixes = true }
    if let profile { configuration.profile = try Configuration.profile(profile, key: "--profile") }
    try configuration.validate()
  }

  /// Checks flag values early so that a bad value is a usage error (exit 64).
  func validateFlags() throws {
    if let only, let skip {
      let both = Set(only.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        .intersection(skip.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
      if !both.isEmpty {
        throw ValidationError("--only and --skip both name \(both.sorted().joined(separator: ", ")): run it or skip it")
      }
    }
    var configuration = Configuration()
    if let config {
      guard let data = FileManager.default.contents(atPath: config) else {
        throw ValidationError("--config: cannot read '\(config)'")
      }
      do {
        try configuration.apply(configFile: Array(data), path: config)
      } catch {
        throw ValidationError(error.message)
      }
    }
    do {
      try apply(to: &configuration)
    } catch {
      throw ValidationError(error.message)
    }
  }
}
