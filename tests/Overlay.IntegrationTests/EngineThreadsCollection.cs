namespace Overlay.IntegrationTests;

/// <summary>
/// The test classes whose agents run Overlay.Encap's engine threads (<c>ovl-q*</c>) in this process: udp and ipip. They
/// run one after another, so a test that counts the process's engine threads (udp's shutdown test) sees only its own.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EngineThreadsCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Tunnel engine threads (udp, ipip)";
}
