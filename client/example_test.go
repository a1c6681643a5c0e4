package client_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/modelry/modelry/client"
)

// Push a folder as a new version, list versions, and pull one back.
func Example() {
	ctx := context.Background()
	c := client.New("http://127.0.0.1:8080", client.WithToken(os.Getenv("MODELRY_TOKEN")))

	v, report, err := c.Push(ctx, "iris", []string{"./model"}, client.PushOptions{
		Label: "1.2", Metrics: map[string]float64{"accuracy": 0.96}, Aliases: []string{"staging"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("pushed", v.Model, v.Version, v.Digest, report.UploadedBytes, "bytes sent")

	for v, err := range c.Versions(ctx, "iris", client.VersionQuery{}) { // pages are fetched as needed
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(v.Version, v.Label, v.Aliases)
	}
	if _, err := c.Pull(ctx, "iris@staging", "./serving", client.PullOptions{}); err != nil {
		log.Fatal(err)
	}
}
