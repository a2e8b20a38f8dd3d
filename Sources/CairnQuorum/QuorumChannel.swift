import CairnCore

/// The channels the quorum owns, all under the `quorum/` prefix.
public enum QuorumChannel {
    /// The channel-name prefix the quorum owns.
    public static let prefix = "quorum/"
    /// Candidacies: a key declares itself electable.
    public static let candidacy = name("quorum/candidacy")
    /// Vote slips: approval votes, optionally recalling an epoch.
    public static let vote = name("quorum/vote")
    /// Vote sets: the slips, candidacies and evidence a height commits.
    public static let voteSet = name("quorum/voteset")
    /// Block signatures by members.
    public static let signature = name("quorum/sig")
    /// Block announcements by the proposer mode.
    public static let block = name("quorum/block")

    /// Every channel the quorum defines.
    public static let all = [candidacy, vote, voteSet, signature, block]

    private static func name(_ text: String) -> ChannelName {
        // The names are short ASCII constants.
        try! ChannelName(text)
    }
}
