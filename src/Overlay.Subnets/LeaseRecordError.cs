using System.Net;

namespace Overlay.Subnets;

/// <summary>A record in the registry that could not be read as a lease; it is skipped, never
/// turned into a removal of other leases.</summary>
/// <param name="Key">The registry key of the record.</param>
/// <param name="Reason">Why it could not be read.</param>
public sealed record LeaseRecordError(string Key, string Reason)
{
    /// <summary>The IPv4 subnet of the key, when the key itself parsed.</summary>
    public IPNetwork? Subnet { get; init; }

    /// <summary>The IPv6 subnet of the key, when the key itself parsed.</summary>
    public IPNetwork? IPv6Subnet { get; init; }
}
