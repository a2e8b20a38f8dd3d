import CairnCore

/// The channels the ratification plug-in owns.
public enum RatifyChannel {
    /// The prefix every ratification channel starts with.
    public static let prefix = "ratify/"
    /// Proposals: a root hash, a title, and the manifest's parts.
    public static let proposal = name("ratify/proposal")
    /// Parts of a proposal's manifest.
    public static let manifest = name("ratify/manifest")
    /// Stake holders' yes/no votes on a root.
    public static let vote = name("ratify/vote")
    /// Every ratification channel.
    public static let all = [proposal, manifest, vote]

    private static func name(_ text: String) -> ChannelName {
        // Constant, valid names.
        try! ChannelName(text)
    }
}
