namespace Overlay.Backends.CloudRoutes;

/// <summary>This instance as a route target.</summary>
/// <param name="Target">The id routes point at (AWS: the ENI id; GCE: the instance link; Ali: the instance id;
/// Tencent: the private address); compared ordinally with <see cref="CloudRoute.Target"/>.</param>
/// <param name="Description">A short human description (instance id, zone, network) for logs and status.</param>
public sealed record CloudRouteIdentity(string Target, string Description)
{
    /// <inheritdoc />
    public override string ToString() => $"{Target} ({Description})";
}
