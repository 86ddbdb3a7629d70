namespace Overlay.Backends.CloudRoutes;

/// <summary>One route table as the last reconcile saw it.</summary>
/// <param name="RouteTable">The table's id.</param>
/// <param name="RouteCount">How many routes it holds.</param>
/// <param name="RouteLimit">The quota, when configured or learned from a quota error; null when unknown.</param>
/// <param name="OwnRoutePresent">True when this node's route is in place and points at this instance.</param>
public sealed record CloudRouteTableStatus(string RouteTable, int RouteCount, int? RouteLimit, bool OwnRoutePresent)
{
    /// <summary><c>count / limit</c> (<c>count / ?</c> when the limit is unknown).</summary>
    public string Usage => $"{RouteCount} / {RouteLimit?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}";

    /// <inheritdoc />
    public override string ToString() => $"{RouteTable}: {Usage} routes{(OwnRoutePresent ? string.Empty : ", own route missing")}";
}
