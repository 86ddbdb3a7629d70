namespace Overlay.Subnets;

/// <summary>
/// A network configuration document (flannel's <c>net-conf.json</c>) that cannot be parsed or
/// that violates flannel's rules. <see cref="Member"/> names the offending member.
/// </summary>
public sealed class NetworkConfigException : FormatException
{
    /// <summary>Creates an exception for <paramref name="member"/> with the reason <paramref name="reason"/>.</summary>
    public NetworkConfigException(string? member, string reason, Exception? innerException = null)
        : base(member is null ? $"Invalid network configuration: {reason}" : $"Invalid network configuration, member '{member}': {reason}", innerException)
    {
        Member = member;
        Reason = reason;
    }

    /// <summary>Creates an exception with a message only.</summary>
    public NetworkConfigException() : this(null, "invalid network configuration")
    {
    }

    /// <summary>Creates an exception with a message only.</summary>
    public NetworkConfigException(string message) : this(null, message)
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public NetworkConfigException(string message, Exception innerException) : this(null, message, innerException)
    {
    }

    /// <summary>The canonical name of the member at fault (for example <c>SubnetLen</c>), or
    /// <see langword="null"/> when the document as a whole is at fault.</summary>
    public string? Member { get; }

    /// <summary>Why the member was rejected, without the member name (flannel's text where it has one).</summary>
    public string Reason { get; }
}
