/// Every pass, in the order they run. A test checks that ids are unique and kebab-case and that
/// the README's table matches.
public enum PassRegistry {
  public static let all: [any Pass] = [
    RunAsNonRoot(),
    NoPrivileged(),
    NoPrivilegeEscalation(),
    ReadOnlyRootFilesystem(),
    ResourceLimits(),
    SeccompProfile(),
    DropCapabilities(),
    PrivilegedWorkload(),
    HostNamespaces(),
    HostPathVolumes(),
    HostPorts(),
    AddedCapabilities(),
    ProcMount(),
    AppArmorProfile(),
    SELinuxOptions(),
    Sysctls(),
    WindowsHostProcess(),
    HostProbesAndLifecycle(),
    RestrictedVolumeTypes(),
    NamespaceLimitRange(),
  ]

  /// The Pod Security standing of each pass, by id, read once (`Configuration.isEnabled` asks it per file).
  static let podSecurity: [String: PodSecurity] = Dictionary(
    all.compactMap { pass in pass.metadata.podSecurity.map { (pass.metadata.id, $0) } }, uniquingKeysWith: { a, _ in a })

  public static var metadata: [PassMetadata] { all.map { $0.metadata } }

  /// Each pass with its id and severity, read once (a pass's metadata is a large value: the
  /// pipeline, which runs once per file, should not copy it per file).
  static let runnable: [(pass: any Pass, id: String, severity: Severity)] = all.map { ($0, $0.metadata.id, $0.metadata.severity) }

  public static func pass(id: String) -> (any Pass)? { all.first { $0.metadata.id == id } }

  public static var ids: [String] { all.map { $0.metadata.id } }
}
