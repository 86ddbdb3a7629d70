using Microsoft.Extensions.Logging;

namespace Overlay.Netlink;

/// <summary>Options for <see cref="NetlinkClient.Open"/>.</summary>
public sealed record NetlinkClientOptions
{
    /// <summary>The namespace to open the sockets in; null = the calling thread's namespace.</summary>
    public NetworkNamespace? NetworkNamespace { get; init; }

    /// <summary>The logger factory; null = no logging.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Retry dumps that the kernel marks NLM_F_DUMP_INTR (up to 10 times) instead of throwing.</summary>
    public bool RetryInterruptedDumps { get; init; } = true;

    /// <summary>Ask for extended acknowledgements (kernel error text). On by default.</summary>
    public bool ExtendedAcknowledgements { get; init; } = true;

    /// <summary>Socket receive buffer (SO_RCVBUFFORCE as root, else SO_RCVBUF). Default 8 MiB.</summary>
    public int ReceiveBufferSize { get; init; } = 8 * 1024 * 1024;

    /// <summary>Socket send buffer (SO_SNDBUFFORCE as root, else SO_SNDBUF). Default 2 MiB.</summary>
    public int SendBufferSize { get; init; } = 2 * 1024 * 1024;

    /// <summary>In bulk calls, ask for an acknowledgement of every message instead of only the last of each send (errors are reported either way).</summary>
    public bool BulkAcknowledgeEach { get; init; }
}
