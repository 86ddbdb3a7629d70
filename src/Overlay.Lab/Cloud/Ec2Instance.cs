namespace Overlay.Lab.Cloud;

/// <summary>An instance of the <see cref="Ec2Double"/>, with one ENI.</summary>
/// <param name="InstanceId">The instance id.</param>
/// <param name="NetworkInterfaceId">Its ENI.</param>
/// <param name="PrivateIpAddress">The ENI's private address (the node's interface address).</param>
/// <param name="SubnetId">The ENI's subnet.</param>
/// <param name="VpcId">The VPC.</param>
public sealed record Ec2Instance(string InstanceId, string NetworkInterfaceId, string PrivateIpAddress, string SubnetId, string VpcId)
{
    /// <summary>The ENI's source/destination check.</summary>
    public bool SourceDestCheck { get; set; } = true;
}
