namespace Overlay.Vici;

/// <summary>Where charon's VICI socket is and how the client treats it.</summary>
public sealed record ViciClientOptions
{
    /// <summary>strongSwan's default socket path.</summary>
    public const string DefaultSocketPath = "/var/run/charon.vici";

    /// <summary>The Unix socket charon listens on (its <c>charon.plugins.vici.socket</c>, without <c>unix://</c>).</summary>
    public string SocketPath { get; init; } = DefaultSocketPath;

    /// <summary>How long a command or an event (un)registration may wait for its answer (default 15 s, as flannel).
    /// After a timeout the connection is closed, so that a late answer is never taken for the next one's.</summary>
    public TimeSpan CommandTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The first wait before reconnecting after charon closed the connection (doubled up to <see cref="MaxReconnectDelay"/>).</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest wait between reconnection attempts.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest packet accepted from charon (default 512 KiB, charon's own limit); a larger one closes the connection.</summary>
    public int MaxPacketSize { get; init; } = 512 * 1024;

    /// <summary>Events buffered per subscription before the oldest are dropped (and counted in the log).</summary>
    public int EventBufferCapacity { get; init; } = 1024;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range (the message names it).</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(SocketPath))
        {
            throw new ArgumentException("ViciClientOptions.SocketPath must name charon's VICI socket.", nameof(SocketPath));
        }

        if (SocketPath.StartsWith("unix://", StringComparison.Ordinal))
        {
            throw new ArgumentException($"ViciClientOptions.SocketPath is a file path; give '{SocketPath["unix://".Length..]}' without 'unix://'.", nameof(SocketPath));
        }

        if (CommandTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentException("ViciClientOptions.CommandTimeout must be positive.", nameof(CommandTimeout));
        }

        if (ReconnectDelay <= TimeSpan.Zero || MaxReconnectDelay < ReconnectDelay)
        {
            throw new ArgumentException("ViciClientOptions.ReconnectDelay must be positive and at most MaxReconnectDelay.", nameof(ReconnectDelay));
        }

        if (MaxPacketSize is < 1024 or > 16 * 1024 * 1024)
        {
            throw new ArgumentException("ViciClientOptions.MaxPacketSize must be from 1 KiB to 16 MiB.", nameof(MaxPacketSize));
        }

        if (EventBufferCapacity < 1)
        {
            throw new ArgumentException("ViciClientOptions.EventBufferCapacity must be at least 1.", nameof(EventBufferCapacity));
        }
    }
}
