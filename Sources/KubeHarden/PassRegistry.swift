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
  ]

  public static var metadata: [PassMetadata] { all.map { $0.metadata } }

  public static func pass(id: String) -> (any Pass)? { all.first { $0.metadata.id == id } }

  public static var ids: [String] { all.map { $0.metadata.id } }
}
