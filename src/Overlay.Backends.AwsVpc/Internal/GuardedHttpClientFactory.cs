using System.Net.Http;
using Amazon.Runtime;
using Overlay.Backends.CloudRoutes;

namespace Overlay.Backends.AwsVpc.Internal;

/// <summary>Gives the EC2 client an HttpClient of ours: the lab connect guard when asked for, no proxy, our timeouts.</summary>
internal sealed class GuardedHttpClientFactory(bool restrict, TimeSpan requestTimeout) : HttpClientFactory
{
    public override HttpClient CreateHttpClient(IClientConfig clientConfig) =>
        new(LabConnectGuard.CreateHandler(restrict, requestTimeout), disposeHandler: true) { Timeout = requestTimeout }; // the SDK's Timeout does not reach a client of ours

    public override bool UseSDKHttpClientCaching(IClientConfig clientConfig) => false;

    public override bool DisposeHttpClientsAfterUse(IClientConfig clientConfig) => false;
}
