using System.Net;

namespace Overlay.Backends.CloudRoutes;

/// <summary>One route of a cloud route table as the provider lists it.</summary>
/// <param name="Destination">The destination prefix.</param>
/// <param name="Target">The id the route points at (comparable with <see cref="CloudRouteIdentity.Target"/>), or null for
/// routes to gateways and other targets the engine never touches.</param>
/// <param name="State">Whether the route forwards.</param>
public sealed record CloudRoute(IPNetwork Destination, string? Target, CloudRouteState State)
{
    /// <summary>The provider's own id of the route, when it has one (GCE route name, Tencent route id).</summary>
    public string? ProviderId { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Destination} -> {Target ?? "-"} ({State})";
}
