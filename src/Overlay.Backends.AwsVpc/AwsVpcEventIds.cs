namespace Overlay.Backends.AwsVpc;

/// <summary>Event ids of Overlay.Backends.AwsVpc (4700–4749, inside the cloud backends' 4700–4999). The
/// cloud-route engine's own events are in <see cref="BackendsEventIds"/> (4012–4020).</summary>
public static class AwsVpcEventIds
{
    /// <summary>The source/destination check of the node's ENI was on and was turned off.</summary>
    public const int SourceDestCheckDisabled = 4700;
}
