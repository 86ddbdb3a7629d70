namespace Overlay.Lab.Cloud;

/// <summary>A route in one of the <see cref="Ec2Double"/>'s route tables.</summary>
/// <param name="DestinationCidrBlock">The destination.</param>
/// <param name="NetworkInterfaceId">The target ENI, or null.</param>
/// <param name="GatewayId">The target gateway (<c>local</c>, <c>igw-…</c>), or null.</param>
/// <param name="State"><c>active</c> or <c>blackhole</c>.</param>
public sealed record Ec2Route(string DestinationCidrBlock, string? NetworkInterfaceId, string? GatewayId = null, string State = "active");
